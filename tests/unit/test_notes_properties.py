"""Property-based tests: the parser never crashes, and format_task round-trips."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.clock import EARLIEST, LATEST
from portal.notes.parse import (
    PRIORITY_SIGNS,
    STATUS_CHARS,
    NoteError,
    ParsedTask,
    format_task,
    parse_note,
    parse_task_line,
)
from portal.notes.repair import damaged_signifiers, repair_text

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of real notes, so that random text reaches the front matter, the sections,
# the task lines and the repair table, not only the "not a task" branch.
FRAGMENTS = [
    "---\n",
    "\n",
    "\r\n",
    "\ufeff",
    "title: ",
    "date: ",
    "2025-10-30",
    "2025-13-45",
    "participants:\n- ",
    "[a, b]",
    ": ",
    "'",
    "## Summary\n",
    "## Decisions\n",
    "## Key Information\n",
    "# ",
    "- [ ] ",
    "- [?] ",
    "> 1. [x] ",
    "  * [!] ",
    "@Rob Banga ",
    "@",
    "#task ",
    "#",
    "every week ",
    "\ufe0f",
    " ",
    *"📅📆🗓⏳⌛🛫➕✅❌🔺⏫🔼🔽⏬🔁",
    "â€“",
    "Ã©",
    *sorted(damaged_signifiers())[:40],
]
note_like = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=40).map("".join)


@SETTINGS
@given(st.text() | note_like)
def test_parse_note_text_never_crashes(text):
    try:
        note = parse_note(text)
    except NoteError as error:
        assert str(error)
        return
    assert note.raw_text.count("\n") == note.raw_text.replace("\r\n", "\n").count("\n")
    for task in note.tasks:
        assert task.status in {"proposed", "open", "in_progress", "done", "cancelled"}
        assert task.priority in {"highest", "high", "medium", "normal", "low", "lowest"}


@SETTINGS
@given(st.binary() | note_like.map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_parse_note_bytes_never_crashes(data):
    try:
        parse_note(data, max_bytes=1000)
    except NoteError as error:
        assert str(error)


@SETTINGS
@given(st.text() | note_like)
def test_parse_task_line_never_crashes(line):
    task, warnings = parse_task_line(line, 3)
    if task is None:
        assert warnings == [] or "longer than" in warnings[0].message
    else:
        assert task.line == 3
        assert all(w.line == 3 for w in warnings)


@SETTINGS
@given(st.text() | note_like)
def test_repair_keeps_the_lines(text):
    repaired, repairs = repair_text(text)
    assert repaired.count("\n") == text.count("\n")
    assert all(1 <= r.line <= text.count("\n") + 1 for r in repairs)
    assert all(r.kind in ("signifier", "text") for r in repairs)


# --- format_task / parse_task_line round trip ---------------------------------------

title_char = st.characters(categories=["L", "N"]) | st.sampled_from(".,:;!?()'/-&")
word = st.text(title_char, min_size=1, max_size=8)
titles = st.lists(word, min_size=1, max_size=6).map(" ".join)

upper = st.characters(categories=["Lu"]).filter(str.isupper)
lower = st.text(st.characters(categories=["Ll"]), max_size=6)
name_word = st.builds(
    lambda first, rest, joiner, tail: first + rest + (joiner + tail if tail else ""),
    upper,
    lower,
    st.sampled_from(["-", "'"]),
    st.text(st.characters(categories=["Ll"]), max_size=4),
)
owners = st.none() | st.just("Myself") | st.lists(name_word, min_size=1, max_size=3).map(" ".join)

# The years a plan's dates may take (portal.clock); the parser drops others with a warning.
dates = st.none() | st.dates(min_value=EARLIEST, max_value=LATEST)
tags = st.lists(st.from_regex(r"[a-z][a-z0-9_/-]{0,10}", fullmatch=True), max_size=4, unique=True)
block_ids = st.none() | st.from_regex(r"[a-zA-Z0-9-]{1,12}", fullmatch=True)
recurrences = st.sampled_from(
    [None, "every day", "every week", "every 2 weeks", "every month on the 1st", "every weekday"]
)
priorities = st.sampled_from(["normal", *PRIORITY_SIGNS.values()])


@st.composite
def tasks(draw):
    status_char = draw(st.sampled_from(sorted(STATUS_CHARS)))
    return ParsedTask(
        line=1,
        raw="",
        status=STATUS_CHARS[status_char],
        status_char=status_char,
        title=draw(titles),
        owner=draw(owners),
        due=draw(dates),
        scheduled=draw(dates),
        start=draw(dates),
        created=draw(dates),
        done=draw(dates),
        cancelled=draw(dates),
        priority=draw(priorities),
        recurrence=draw(recurrences),
        tags=draw(tags),
        block_id=draw(block_ids),
    )


FIELDS = [
    "status",
    "status_char",
    "title",
    "owner",
    "due",
    "scheduled",
    "start",
    "created",
    "done",
    "cancelled",
    "priority",
    "recurrence",
    "tags",
    "block_id",
]


@SETTINGS
@given(tasks())
def test_format_then_parse_round_trips(task):
    line = format_task(task)
    parsed, warnings = parse_task_line(line)
    assert warnings == []
    assert parsed is not None
    assert {f: getattr(parsed, f) for f in FIELDS} == {f: getattr(task, f) for f in FIELDS}
    assert parsed.raw == line
    assert format_task(parsed) == line


# --- Text before the signifiers is the description, whatever it holds ----------------

SUFFIXES = [
    # the owner between the description and the signifiers
    (" @Rob Banga 📅 2025-11-08 ⏳ 2025-11-01 ⏫ #task ^abc-1", "Rob Banga"),
    # the owner after the signifiers
    (" end. 🛫 2025-10-30 📅 2025-11-08 ⏳ 2025-11-01 ⏫ #task @Rob Banga", "Rob Banga"),
    # the owner as a wiki link with an alias
    (" [[Rob Banga|Rob]] 📅 2025-11-08 ⏳ 2025-11-01 ⏫ #task", "Rob Banga"),
]
one_line = st.text(st.characters(blacklist_categories=["Cs", "Zl", "Zp", "Cc"]), max_size=60)
description = st.lists(st.sampled_from(FRAGMENTS) | one_line, max_size=12).map(
    lambda parts: "".join(parts).replace("\n", " ").replace("\r", " "))


@SETTINGS
@given(description, st.sampled_from(SUFFIXES))
def test_text_before_the_signifiers_never_changes_the_fields(text, suffix):
    """Whatever the description holds (emoji, dates, @, #, [[ ]]), the dates, priority
    and owner come from the end of the line, as Obsidian Tasks reads them."""
    ending, owner = suffix
    task, _warnings = parse_task_line(f"- [ ] Plan {text}{ending}")
    assert task is not None
    assert (task.due, task.scheduled, task.priority, task.owner) == (
        date(2025, 11, 8), date(2025, 11, 1), "high", owner)
    if "🛫" in ending:
        assert task.start == date(2025, 10, 30)
    if "^abc-1" in ending:
        assert task.block_id == "abc-1"
