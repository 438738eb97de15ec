"""Parsing meeting notes: the shipped sample, a note using every signifier, bad input."""

from datetime import date
from pathlib import Path

import pytest

from portal.actions.service import title_key
from portal.notes.parse import (
    PRIORITY_SIGNS,
    STATUS_CHARS,
    NoteError,
    ParsedTask,
    format_task,
    parse_note,
    parse_task_line,
)

SAMPLE_NAME = "2025-10-30-cloud-support-operating-model.md"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "notes"
DAMAGE = ("ğŸ", "ðŸ", "â«", "â€", "Ã")
SIGNIFIERS = "📅📆🗓⏳⌛🛫➕✅❌🔺⏫🔼🔽⏬🔁"


def sample_bytes() -> bytes:
    """The sample note exactly as shipped: in the package, else in the shared folder."""
    shipped = Path(__file__).parents[2] / "portal" / "demo" / SAMPLE_NAME
    if not shipped.exists():
        shipped = Path(__file__).parents[3] / "shared" / "samples" / SAMPLE_NAME
    return shipped.read_bytes()


@pytest.fixture(scope="module")
def sample():
    return parse_note(sample_bytes())


def stored_strings(note):
    """Every text value the importer would store from a note."""
    yield note.title
    yield note.summary
    yield from note.participants
    yield from note.decisions
    yield from note.key_information
    for task in note.tasks:
        yield task.title
        yield task.owner or ""
        yield task.recurrence or ""
        yield from task.tags


# --- The sample note ---------------------------------------------------------------


def test_sample_header(sample):
    assert sample.title == "Cloud support operating model alignment"
    assert sample.date == date(2025, 10, 30)
    assert sample.participants == [
        "Jason Vallery",
        "Lior Genzel",
        "Yancey",
        "Rob Banga",
        "Daniel",
        "Timo Pervane",
        "Christina",
    ]
    assert sample.front_matter["type"] == "people"
    assert sample.warnings == []


def test_sample_tasks(sample):
    tasks = sample.tasks
    assert len(tasks) == 17
    assert sum(t.due == date(2025, 11, 8) for t in tasks) == 15
    assert sum(t.due == date(2025, 10, 31) for t in tasks) == 2
    assert [t.priority for t in tasks].count("high") == 16
    low = [t for t in tasks if t.priority == "low"]
    assert len(low) == 1 and low[0].title.startswith("Consolidate notes")
    assert {t.status for t in tasks} == {"proposed"}
    assert {t.status_char for t in tasks} == {"?"}
    assert all(t.tags == ["task", "proposed"] for t in tasks)
    assert all(t.scheduled is t.start is t.created is t.done is t.cancelled is None for t in tasks)
    assert all(t.recurrence is None for t in tasks)


def test_sample_owners_and_titles(sample):
    tasks = sample.tasks
    assert tasks[0].owner == "Rob Banga"
    assert tasks[0].title == (
        "Draft a clear cloud support/Customer Success/SRE operating plan including 24/7 "
        "support desk and on-call rotations for marketplace phases, and bring back to this "
        "group for review."
    )
    assert tasks[0].line == 32
    owners = {t.owner for t in tasks}
    assert {"Timo Pervane Pervane", "Myself", "Product Marketing", "Legal", "Joe"} <= owners
    assert all(t.owner for t in tasks)
    for task in tasks:
        assert "@" not in task.title and "#" not in task.title
        assert not any(sign in task.title for sign in SIGNIFIERS)
        assert task.title == task.title.strip() and "  " not in task.title
        assert task.title.endswith(".")


def test_sample_sections(sample):
    assert len(sample.decisions) == 4
    assert "then public offers 6–8 months later" in sample.decisions[1]
    assert len(sample.key_information) == 8
    assert sample.key_information[0].startswith("Marketplace rollout plan:")
    assert "6–8 months later" in sample.key_information[0]
    assert "GCP’s challenge" in sample.summary
    assert sample.summary.startswith("The group aligned on a cloud support operating model")


def test_sample_has_no_damage_left(sample):
    for value in stored_strings(sample):
        for damaged in DAMAGE:
            assert damaged not in value


def test_sample_repairs_are_counted(sample):
    repairs = sample.repairs
    signifiers = [r for r in repairs if r.kind == "signifier"]
    assert sum(r.replacement == "📅" for r in signifiers) == 17
    assert sum(r.replacement in ("⏫", "🔽") for r in signifiers) == 17
    assert len(signifiers) == 34
    text = [r for r in repairs if r.kind == "text"]
    assert sorted((r.original, r.replacement) for r in text) == [
        ("â€“", "–"),
        ("â€“", "–"),
        ("â€™", "’"),
    ]
    assert all(r.line > 0 for r in repairs)


def test_sample_raw_text_and_hash(sample):
    import hashlib

    data = sample_bytes()
    assert sample.raw_text == data.decode("utf-8")  # before repair
    assert "ğŸ“…" in sample.raw_text
    assert sample.sha256 == hashlib.sha256(data).hexdigest()
    assert parse_note(data.decode("utf-8")).sha256 == sample.sha256


# --- A note with every signifier, BOM and CRLF, damaged in both code pages ---------

EVERY_SIGNIFIER = """\ufeff---
title: Every signifier
date: 2025-11-03
participants: [Zoë Ñúñez, Rob Banga]
extra: kept
---

# Every signifier

## Summary
A note that uses every signifier.

## Action Items
- [ ] Open task @Rob Banga 📅 2025-11-08 ⏳ 2025-11-05 🛫 2025-11-04 ➕ 2025-11-01 🔺 #task
- [x] Done task @Myself ✅ 2025-11-02 📆 2025-11-03 ⏫ #task
- [X] Also done @Product Marketing ✅️ 2025-11-02 🗓️ 2025-11-04 🔼️
- [/] In progress ⌛ 2025-11-06 🔽 #task/sub #area-2
- [-] Cancelled one ❌ 2025-11-02 ⏬
- [?] Proposed with recurrence @Zoë Ñúñez 🔁 every week on Monday 📅 2025-11-10
- [!] Unknown status task 📅 2025-13-45
  - [ ] Indented cp1252 damage @Legal ðŸ“… 2025-11-20 â« #task
> - [ ] Quoted cp1254 damage @Timo Pervane Pervane ğŸ“… 2025-11-21 ğŸ”½ #task
> > 1. [ ] Nested quote, numbered ⏳ 2025-11-22
12) [ ] Paren numbered ðŸ” every month âœ… 2025-11-24 â³ 2025-11-25 ðŸ›« 2025-11-26 ðŸ”º
+ [ ] cp1254 set â• 2025-11-01 âŒ 2025-11-02 âŒ› 2025-11-03 ğŸ”¼ ğŸ“…ï¸ 2025-11-04
* [ ] cp1252 set âž• 2025-11-01 ğŸ—“ 2025-11-05 â¬ #x
- Not a task, just a bullet
- [link](https://example.com) is not a task either

## Decisions
- Ship in 6â€“8 weeks.
- [ ] A task among the decisions is not a decision

## Key Information
- A long item that wraps
  onto a second line.
- Second item.
"""


@pytest.fixture(scope="module")
def every():
    data = EVERY_SIGNIFIER.replace("\n", "\r\n").encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf---\r\n")
    return parse_note(data)


def task_titled(note, start):
    [task] = [t for t in note.tasks if t.title.startswith(start)]
    return task


def test_every_signifier_header(every):
    assert every.title == "Every signifier"
    assert every.date == date(2025, 11, 3)
    assert every.participants == ["Zoë Ñúñez", "Rob Banga"]
    assert every.front_matter["extra"] == "kept"
    assert every.summary == "A note that uses every signifier."
    assert every.decisions == ["Ship in 6–8 weeks."]
    assert every.key_information == ["A long item that wraps onto a second line.", "Second item."]
    assert not every.raw_text.startswith("\ufeff") and "\r" not in every.raw_text


def test_every_signifier_tasks(every):
    assert len(every.tasks) == 14
    task = task_titled(every, "Open task")
    assert (task.owner, task.status, task.priority) == ("Rob Banga", "open", "highest")
    assert (task.due, task.scheduled, task.start, task.created) == (
        date(2025, 11, 8),
        date(2025, 11, 5),
        date(2025, 11, 4),
        date(2025, 11, 1),
    )
    assert task.line == 14

    task = task_titled(every, "Done task")
    assert (task.status, task.owner, task.priority) == ("done", "Myself", "high")
    assert (task.done, task.due) == (date(2025, 11, 2), date(2025, 11, 3))

    task = task_titled(every, "Also done")
    assert (task.status, task.status_char, task.owner) == ("done", "X", "Product Marketing")
    assert (task.done, task.due, task.priority) == (date(2025, 11, 2), date(2025, 11, 4), "medium")

    task = task_titled(every, "In progress")
    assert (task.status, task.scheduled, task.priority) == ("in_progress", date(2025, 11, 6), "low")
    assert task.tags == ["task/sub", "area-2"]

    task = task_titled(every, "Cancelled one")
    assert (task.status, task.cancelled, task.priority) == (
        "cancelled",
        date(2025, 11, 2),
        "lowest",
    )

    task = task_titled(every, "Proposed with recurrence")
    assert (task.status, task.owner) == ("proposed", "Zoë Ñúñez")
    assert (task.recurrence, task.due) == ("every week on Monday", date(2025, 11, 10))


def test_every_signifier_warnings(every):
    task = task_titled(every, "Unknown status task")
    assert (task.status, task.status_char, task.due) == ("open", "!", None)
    lines = {w.line: w.message for w in every.warnings}
    assert set(lines) == {task.line}
    messages = [w.message for w in every.warnings]
    assert any("[!]" in m and "open" in m for m in messages)
    assert any("2025-13-45" in m and "not a real date" in m for m in messages)


def test_every_signifier_damaged_and_nested(every):
    task = task_titled(every, "Indented cp1252 damage")
    assert (task.owner, task.due, task.priority, task.tags) == (
        "Legal",
        date(2025, 11, 20),
        "high",
        ["task"],
    )
    task = task_titled(every, "Quoted cp1254 damage")
    assert (task.owner, task.due, task.priority) == (
        "Timo Pervane Pervane",
        date(2025, 11, 21),
        "low",
    )
    task = task_titled(every, "Nested quote, numbered")
    assert task.scheduled == date(2025, 11, 22)

    task = task_titled(every, "Paren numbered")
    assert task.recurrence == "every month"
    assert (task.done, task.scheduled, task.start, task.priority) == (
        date(2025, 11, 24),
        date(2025, 11, 25),
        date(2025, 11, 26),
        "highest",
    )
    task = task_titled(every, "cp1254 set")
    assert (task.created, task.cancelled, task.scheduled, task.due, task.priority) == (
        date(2025, 11, 1),
        date(2025, 11, 2),
        date(2025, 11, 3),
        date(2025, 11, 4),
        "medium",
    )
    task = task_titled(every, "cp1252 set")
    assert (task.created, task.due, task.priority, task.tags) == (
        date(2025, 11, 1),
        date(2025, 11, 5),
        "lowest",
        ["x"],
    )
    for value in stored_strings(every):
        for damaged in DAMAGE:
            assert damaged not in value
    kinds = {r.kind for r in every.repairs}
    assert kinds == {"signifier", "text"}
    assert sum(r.kind == "signifier" for r in every.repairs) == 17


def test_tasks_are_read_anywhere_but_only_with_a_checkbox(every):
    titles = [t.title for t in every.tasks]
    assert "A task among the decisions is not a decision" in titles
    assert not any("Not a task" in t or "link" in t for t in titles)


# --- Front matter ------------------------------------------------------------------


def test_no_front_matter_falls_back_to_heading():
    note = parse_note("# Weekly sync\n\n- [ ] Do it @Rob 📅 2025-01-02\n")
    assert (note.title, note.date, note.participants, note.front_matter) == (
        "Weekly sync",
        None,
        [],
        {},
    )
    assert note.tasks[0].line == 3


def test_note_without_tasks_is_accepted():
    note = parse_note("# Just text\n\nNothing to do.\n")
    assert note.tasks == []


@pytest.mark.parametrize(
    "header",
    ["date: 2025-10-30", "date: '2025-10-30'", 'date: "2025-10-30"', "date: 2025-10-30 09:30"],
)
def test_front_matter_date_quoted_or_not(header):
    note = parse_note(f"---\n{header}\n---\n# T\n")
    assert note.date == date(2025, 10, 30)
    assert note.warnings == []


@pytest.mark.parametrize("value", ["2025-13-45", "'2025-02-30'", "next week", "42"])
def test_front_matter_invalid_date_is_a_warning(value):
    note = parse_note(f"---\ntitle: T\ndate: {value}\n---\n- [ ] x\n")
    assert note.date is None
    [warning] = note.warnings
    assert warning.line == 3
    assert "not a date" in warning.message


def test_participants_block_or_flow_list():
    block = parse_note("---\nparticipants:\n- Ann\n- Bob Smith\n---\nx\n")
    flow = parse_note("---\nparticipants: [Ann, Bob Smith]\n---\nx\n")
    assert block.participants == flow.participants == ["Ann", "Bob Smith"]


def test_empty_front_matter_is_allowed():
    note = parse_note("---\n---\n# Heading title\n")
    assert note.front_matter == {} and note.title == "Heading title"


# --- Bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"", "empty"),
        ("", "empty"),
        (b" \n\t\r\n  ", "blank"),
        ("\ufeff  \n", "blank"),
        (b"# Note\x00\x00\x00", "binary file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary file"),
        (bytes([0x01, 0x02, 0x03, 0x04, 0x05, 0x06]) * 100, "binary file"),
        ("# Caf\xe9\n".encode("latin-1"), "not a UTF-8 text file"),
        ("lone \ud800 surrogate", "not valid Unicode"),
        ("---\ntitle: x\n", "never closed"),
        ("---\ntitle: [unclosed\n---\n", "not valid YAML"),
        ("---\ntitle: a: b\n---\n", "not valid YAML"),
        ("---\n- one\n- two\n---\n", "is a list"),
        ("---\njust text\n---\n", "is plain text"),
    ],
)
def test_bad_input_is_rejected_with_a_sentence(data, phrase):
    with pytest.raises(NoteError) as error:
        parse_note(data)
    message = str(error.value)
    assert phrase in message
    assert message[0].isupper() and message.endswith(".")


def test_invalid_yaml_names_the_line():
    with pytest.raises(NoteError, match="on line 3"):
        parse_note("---\ntitle: fine\nbad: a: b\nother: x\n---\n")


def test_invalid_utf8_names_the_line():
    with pytest.raises(NoteError, match="line 2"):
        parse_note(b"# fine\nbad \xff byte\n")


def test_size_limit():
    limit = 2 * 1024 * 1024
    big = b"- [ ] x\n" + b"Some text.\n" * (limit // 11)
    with pytest.raises(NoteError, match="too large") as error:
        parse_note(big)
    assert "2,097,152 bytes" in str(error.value)
    assert len(parse_note(big[:limit]).tasks) == 1  # exactly 2 MB is accepted
    with pytest.raises(NoteError, match="at most 100 bytes"):
        parse_note(b"# x\n" * 30, max_bytes=100)


# --- Task lines --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "- just a bullet",
        "- [ ]",
        "- [ ]   ",
        "-[ ] no space after the marker",
        "- [link](https://example.com)",
        "- [ab] two characters",
        "Plain text [ ] with a box",
        "# - [ ] heading",
    ],
)
def test_not_task_lines(line):
    assert parse_task_line(line) == (None, [])


@pytest.mark.parametrize(("char", "status"), sorted(STATUS_CHARS.items()))
def test_status_chars(char, status):
    task, warnings = parse_task_line(f"- [{char}] Thing")
    assert (task.status, task.status_char, warnings) == (status, char, [])


@pytest.mark.parametrize(("emoji", "priority"), sorted(PRIORITY_SIGNS.items()))
def test_priorities_with_and_without_variation_selector(emoji, priority):
    for sign in (emoji, emoji + "\ufe0f"):
        task, _ = parse_task_line(f"- [ ] Thing {sign} #t")
        assert (task.title, task.priority, task.tags) == ("Thing", priority, ["t"])
    task, _ = parse_task_line("- [ ] Thing")
    assert task.priority == "normal"


@pytest.mark.parametrize(
    ("line", "owner", "title"),
    [
        ("- [ ] Ask @Rob Banga about it 📅 2025-01-02", "Rob Banga", "Ask Rob Banga about it"),
        ("- [ ] Review the plan. @Rob Banga 📅 2025-01-02", "Rob Banga", "Review the plan."),
        ("- [ ] Ping @Rob Banga, then review.", "Rob Banga", "Ping Rob Banga, then review."),
        ("- [ ] Draft @Zoë Ñúñez-Díaz now", "Zoë Ñúñez-Díaz", "Draft Zoë Ñúñez-Díaz now"),
        ("- [ ] Call @Seán O'Brien today", "Seán O'Brien", "Call Seán O'Brien today"),
        ("- [ ] Ship @Myself", "Myself", "Ship"),
        ("- [ ] Ship @Product Marketing⏫", "Product Marketing", "Ship"),
        ("- [ ] Hand over to @Ann then @Bob", "Bob", "Hand over to Ann then"),
        ("- [ ] Mail rob@example.com", None, "Mail rob@example.com"),
        ("- [ ] Lower @case is no mention", None, "Lower @case is no mention"),
        ("- [ ] Due first @Ann Lee 📅 2025-01-02 ⏫", "Ann Lee", "Due first"),
        ("- [ ] Due first 📅 2025-01-02 ⏫ @Ann Lee", "Ann Lee", "Due first"),
    ],
)
def test_owner_mentions(line, owner, title):
    task, _ = parse_task_line(line)
    assert (task.owner, task.title) == (owner, title)


def test_overlong_task_line_is_skipped_with_a_warning():
    task, warnings = parse_task_line("- [ ] " + "word " * 1000, lineno=4)
    assert task is None
    assert warnings[0].line == 4 and "longer than" in warnings[0].message


def test_impossible_date_warns_with_line_number():
    task, warnings = parse_task_line("- [ ] Thing 📅 2025-13-45 ⏳ 2025-01-02", lineno=7)
    assert (task.due, task.scheduled, task.title) == (None, date(2025, 1, 2), "Thing")
    [warning] = warnings
    assert warning.line == 7 and "2025-13-45" in warning.message


def test_signifier_in_the_middle_is_left_with_a_warning():
    task, warnings = parse_task_line("- [ ] Thing 📅 2025-01-02 and more")
    assert task.due is None and "📅" in task.title
    assert "middle" in warnings[0].message


def test_tags_anywhere_but_only_trailing_ones_leave_the_title():
    """As Obsidian Tasks: every #tag of the description is a tag (not C#, not a lone #);
    those at the end are not part of the title."""
    task, _ = parse_task_line("- [ ] Fix issue #42 in C# for #team now, count the # #a #b/c")
    assert task.tags == ["42", "team", "a", "b/c"]
    assert task.title == "Fix issue #42 in C# for #team now, count the #"


def test_a_mention_between_the_signifiers_ends_them():
    """Obsidian Tasks stops reading at the first word that is no signifier."""
    task, warnings = parse_task_line("- [ ] Due first 📅 2025-01-02 @Ann Lee ⏫")
    assert (task.owner, task.priority, task.due) == ("Ann Lee", "high", None)
    assert task.title == "Due first 📅 2025-01-02"
    assert "middle" in warnings[0].message


def test_format_task_writes_a_clean_line():
    task = ParsedTask(
        line=1,
        raw="",
        status="proposed",
        status_char="?",
        title="Draft the plan.",
        owner="Rob Banga",
        due=date(2025, 11, 8),
        scheduled=date(2025, 11, 1),
        priority="high",
        recurrence="every week",
        tags=["task", "proposed"],
    )
    line = format_task(task)
    assert line == (
        "- [?] Draft the plan. @Rob Banga 🔁 every week ⏳ 2025-11-01 📅 2025-11-08 ⏫ "
        "#task #proposed"
    )
    parsed, warnings = parse_task_line(line)
    assert warnings == []
    assert (parsed.title, parsed.owner, parsed.due, parsed.scheduled) == (
        task.title,
        task.owner,
        task.due,
        task.scheduled,
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Draft the plan.", "draft  the PLAN"),
        ("Straße prüfen!", "STRASSE prüfen"),
        ("  Spaced   out… ", "spaced out"),
    ],
)
def test_title_key(a, b):
    assert title_key(a) == title_key(b)


def test_title_key_keeps_accents_and_inner_punctuation():
    assert title_key("Café (draft)") == "café (draft)"
    assert title_key("Cafe") != title_key("Café")


def test_format_task_keeps_a_name_that_ends_like_a_possessive():
    """``@Ann O's`` would read back as Ann O's possessive: the name goes in a wiki link."""
    task = ParsedTask(line=1, raw="", status="open", status_char=" ", title="Call back.",
                      owner="Ann O's")
    line = format_task(task)
    assert line == "- [ ] Call back. @[[Ann O's]]"
    parsed, warnings = parse_task_line(line)
    assert (parsed.owner, parsed.title, warnings) == ("Ann O's", "Call back.", [])
