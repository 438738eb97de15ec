"""Parse a meeting note in the Obsidian Tasks format.

A note is Markdown with an optional YAML front matter (title, date, participants),
a few known sections (Summary, Decisions, Key Information) and task lines such as::

    - [?] Draft the plan. @Rob Banga 📅 2025-11-08 ⏫ #task #proposed

Everything here is a pure function of the text: no database, no Flask. A file that
cannot be read at all raises ``NoteError``; a problem on one line (an impossible date,
an unknown status) becomes a ``NoteWarning`` and the rest of the note is still read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import yaml

from portal.notes.repair import Repair, repair_text

DEFAULT_MAX_BYTES = 2 * 1024 * 1024

#: Task lines longer than this are left alone: no real task is that long, and the
#: signifier parser is quadratic in the worst case.
MAX_TASK_LINE = 4000

STATUS_CHARS = {
    " ": "open",
    "x": "done",
    "X": "done",
    "/": "in_progress",
    "-": "cancelled",
    "?": "proposed",
}

PRIORITY_SIGNS = {
    "🔺": "highest",
    "⏫": "high",
    "🔼": "medium",
    "🔽": "low",
    "⏬": "lowest",
}

#: Date signifier -> the ParsedTask field it sets.
DATE_SIGNS = {
    "📅": "due",
    "📆": "due",
    "🗓": "due",
    "⏳": "scheduled",
    "⌛": "scheduled",
    "🛫": "start",
    "➕": "created",
    "✅": "done",
    "❌": "cancelled",
}

RECURRENCE_SIGN = "🔁"

#: The order ``format_task`` writes the date fields in, with the emoji it uses.
_DATE_FIELDS = [
    ("created", "➕"),
    ("start", "🛫"),
    ("scheduled", "⏳"),
    ("due", "📅"),
    ("cancelled", "❌"),
    ("done", "✅"),
]
_PRIORITY_EMOJI = {value: emoji for emoji, value in PRIORITY_SIGNS.items()}

_SIGNIFIERS = "".join([*PRIORITY_SIGNS, *DATE_SIGNS, RECURRENCE_SIGN])
_VS = "\ufe0f*"  # optional variation selectors after an emoji

_TASK_RE = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[(.)\][ \t]+(\S.*)$")
_LIST_ITEM_RE = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_ISO_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")

_TRAILING_DATE = re.compile(
    r"([" + "".join(DATE_SIGNS) + r"])" + _VS + r"\s*([0-9]{4}-[0-9]{2}-[0-9]{2})\s*$"
)
_TRAILING_PRIORITY = re.compile(r"([" + "".join(PRIORITY_SIGNS) + r"])" + _VS + r"\s*$")
_TRAILING_RECURRENCE = re.compile(RECURRENCE_SIGN + _VS + r"([^#@" + _SIGNIFIERS + r"]*)$")
# An Obsidian tag: no spaces or punctuation, and not only digits (#42 is not a tag).
_TRAILING_TAG = re.compile(
    r"(?:^|\s)#([^\s!@#$%^&*(),.?\":{}|<>]*[^\W\d][^\s!@#$%^&*(),.?\":{}|<>]*)\s*$"
)
# A letter, or a combining accent (for names typed in decomposed form).
_LETTER = r"(?:[^\W\d_]|[\u0300-\u036f])"
_MENTION_WORD = re.compile(r"[^\W\d_]" + _LETTER + "*(?:['’-]" + _LETTER + "+)*")
_SPACES = re.compile(r"[ \t]+")


class NoteError(ValueError):
    """The whole file is rejected; ``str(error)`` is a sentence to show the user."""


@dataclass(frozen=True)
class NoteWarning:
    """A problem on one line that did not stop the import."""

    line: int
    message: str


@dataclass
class ParsedTask:
    """One task line, with its signifiers read into fields."""

    line: int
    raw: str
    status: str
    status_char: str
    title: str
    owner: str | None
    due: date | None = None
    scheduled: date | None = None
    start: date | None = None
    created: date | None = None
    done: date | None = None
    cancelled: date | None = None
    priority: str = "normal"
    recurrence: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class ParsedNote:
    """Everything read from one note, before it is matched against the database."""

    title: str
    date: date | None
    participants: list[str]
    front_matter: dict
    summary: str
    decisions: list[str]
    key_information: list[str]
    tasks: list[ParsedTask]
    repairs: list[Repair]
    warnings: list[NoteWarning]
    raw_text: str
    sha256: str


# --- Reading the file -------------------------------------------------------------


def _human_size(size: int) -> str:
    """A byte count as people say it: 512 bytes, 3.4 KB, 2.5 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1f\x8b")


def _looks_binary(text: str) -> bool:
    """True when text is mostly not text: over a tenth control characters, or (after
    decoding with replacement) over a third undecodable bytes."""
    sample = text[:8192]
    controls = sum(1 for c in sample if (c < " " and c not in "\t\n\r\f\v") or c == "\x7f")
    return controls * 10 > len(sample) or sample.count("\ufffd") * 3 > len(sample)


def _decode(data: bytes | str, max_bytes: int) -> tuple[bytes, str]:
    """Return the original bytes and the text (BOM removed, line ends as LF)."""
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as error:
            raise NoteError(
                "The note contains characters that are not valid Unicode text "
                f"(at position {error.start}); it cannot be imported."
            ) from None
    else:
        raw = bytes(data)
    if len(raw) > max_bytes:
        size, limit = _human_size(len(raw)), _human_size(max_bytes)
        if size == limit:  # "2 MB; at most 2 MB" would read as nonsense
            size, limit = f"{len(raw):,} bytes", f"{max_bytes:,} bytes"
        raise NoteError(f"The file is too large ({size}); a note can be at most {limit}.")
    if not raw:
        raise NoteError("The file is empty; there is nothing to import.")
    if b"\x00" in raw or raw.startswith(_BINARY_MAGIC):
        raise NoteError("This is a binary file, not a Markdown note; choose the .md file.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        if _looks_binary(raw.decode("utf-8", errors="replace")):
            raise NoteError(
                "This is a binary file, not a Markdown note; choose the .md file."
            ) from None
        line = raw[: error.start].count(b"\n") + 1
        raise NoteError(
            f"The file is not a UTF-8 text file (line {line} holds a byte that is not "
            "UTF-8); save it as UTF-8 and import it again."
        ) from None
    if _looks_binary(text):
        raise NoteError("This is a binary file, not a Markdown note; choose the .md file.")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise NoteError("The note contains only blank space; there is nothing to import.")
    return raw, text


# --- Front matter -----------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """yaml.SafeLoader that keeps an impossible date (2025-13-45) as text.

    The plain SafeLoader raises ValueError on it, which would reject the whole note
    for what is only a warning.
    """


def _construct_timestamp(loader: _Loader, node: yaml.Node) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _kind_of(value: object) -> str:
    """How a YAML value is described to the user."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "plain text"
    if isinstance(value, bool | int | float):
        return "a number"
    return "not a set of keys"


def _split_front_matter(lines: list[str]) -> tuple[dict, int]:
    """Read the front matter; return it and the index of the first body line."""
    if not lines or lines[0].rstrip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        raise NoteError(
            "The front matter that opens with --- on line 1 is never closed; "
            "add a line with --- after it."
        )
    source = "\n".join(lines[1:end])
    try:
        # _Loader is a SafeLoader: no Python objects are ever built.
        value = yaml.load(source, Loader=_Loader)  # noqa: S506  # nosec B506
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f" on line {mark.line + 2}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "it cannot be read"
        raise NoteError(
            f"The front matter is not valid YAML{where} ({problem}); fix it and import again."
        ) from None
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise NoteError(
            f"The front matter (lines 1 to {end + 1}) cannot be read as YAML; "
            "fix it and import again."
        ) from None
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise NoteError(
            f"The front matter (lines 1 to {end + 1}) must be 'key: value' lines, "
            f"but it is {_kind_of(value)}."
        )
    return value, end + 1


def _key_line(lines: list[str], key: str, body_start: int) -> int:
    """The line number of ``key:`` in the front matter, or 1."""
    for index in range(body_start):
        if re.match(re.escape(key) + r"\s*:", lines[index]):
            return index + 1
    return 1


def _parse_iso_date(text: str) -> date | None:
    """A strict YYYY-MM-DD date, or None when it is not one or not a real day."""
    match = _ISO_DATE_RE.match(text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _note_date(value: object, line: int, warnings: list[NoteWarning]) -> date | None:
    """The note's date from the front matter: a YAML date, or text like '2025-10-30'."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    parsed = _parse_iso_date(str(value).strip()[:10]) if isinstance(value, str) else None
    if parsed is None:
        warnings.append(
            NoteWarning(
                line,
                f"The date '{value}' in the front matter is not a date (YYYY-MM-DD); "
                "the note was imported without a date.",
            )
        )
    return parsed


def _participants(value: object, line: int, warnings: list[NoteWarning]) -> list[str]:
    """Participants as a list of names; a comma-separated text is accepted too."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        warnings.append(
            NoteWarning(line, "The participants in the front matter are not a list; ignored.")
        )
        return []
    names = [" ".join(str(item).split()) for item in value if item is not None]
    return [name for name in names if name]


# --- Task lines -------------------------------------------------------------------


def _find_mention(text: str) -> tuple[int, int, str] | None:
    """The first ``@Capitalised Words`` mention: (start, end, name), or None.

    The name runs over words that start with an uppercase letter and stops at the
    first other word, punctuation or signifier. ``@`` inside a word (an email) is not
    a mention.
    """
    for at in re.finditer(r"(?<!\w)@", text):
        words: list[str] = []
        pos = end = at.end()
        while True:
            word = _MENTION_WORD.match(text, pos)
            if not word or not word.group()[0].isupper():
                break
            words.append(word.group())
            end = word.end()
            gap = _SPACES.match(text, end)
            if not gap:
                break
            pos = gap.end()
        if words:
            return at.start(), end, " ".join(words)
    return None


def _trailing_mention(text: str) -> tuple[str, str] | None:
    """A mention that ends the text: (the text before it, the name), or None."""
    at = text.rfind("@")
    found = _find_mention(text[at:]) if at >= 0 else None
    if not found or found[1] != len(text) - at or (at and re.match(r"\w", text[at - 1])):
        return None
    return text[:at].rstrip(), found[2]


def _remove_span(text: str, start: int, end: int) -> str:
    """Cut text[start:end] out, without leaving a space before punctuation."""
    left, right = text[:start].rstrip(), text[end:].lstrip()
    if not left or not right or right[0] in ".,;:!?)]":
        return left + right
    return left + " " + right


def _peel(description: str, task: ParsedTask, warnings: list[NoteWarning]) -> tuple[str, str]:
    """Take signifiers and tags off the end of the description, as Obsidian Tasks does.

    Returns what is left and a mention found among the signifiers (or ""), so that
    ``@Owner`` may also stand between them.
    """
    text = description.rstrip()
    tags: list[str] = []
    mention = ""
    seen: set[str] = set()
    while text:
        if match := _TRAILING_DATE.search(text):
            name = DATE_SIGNS[match.group(1)]
            value = _parse_iso_date(match.group(2))
            if value is None:
                warnings.append(
                    NoteWarning(
                        task.line,
                        f"The {name} date {match.group(2)} is not a real date; "
                        "the task was imported without it.",
                    )
                )
            if name not in seen:
                setattr(task, name, value)
                seen.add(name)
        elif match := _TRAILING_PRIORITY.search(text):
            if "priority" not in seen:
                task.priority = PRIORITY_SIGNS[match.group(1)]
                seen.add("priority")
        elif match := _TRAILING_RECURRENCE.search(text):
            rule = " ".join(match.group(1).split())
            if not rule:
                warnings.append(
                    NoteWarning(task.line, "The recurrence 🔁 has no rule; it was ignored.")
                )
            elif "recurrence" not in seen:
                task.recurrence = rule
                seen.add("recurrence")
        elif match := _TRAILING_TAG.search(text):
            tags.append(match.group(1))
        elif not mention and (found := _trailing_mention(text)):
            text, mention = found
            continue
        else:
            break
        text = text[: match.start()].rstrip()
    task.tags = tags[::-1]
    return text, mention


def parse_task_line(line: str, lineno: int = 1) -> tuple[ParsedTask | None, list[NoteWarning]]:
    """Read one line; return (None, []) when it is not a task line.

    A task line is a list item with a checkbox, optionally indented or quoted. Problems
    that do not stop the task (an impossible date, an unknown status) are returned as
    warnings; a task line too long to be real is skipped with a warning.
    """
    line = line.rstrip("\r\n")
    match = _TASK_RE.match(line)
    if not match:
        return None, []
    if len(line) > MAX_TASK_LINE:
        message = f"The task line is longer than {MAX_TASK_LINE} characters; it was skipped."
        return None, [NoteWarning(lineno, message)]
    status_char, description = match.groups()
    warnings: list[NoteWarning] = []
    status = STATUS_CHARS.get(status_char)
    if status is None:
        warnings.append(
            NoteWarning(
                lineno,
                f"The status [{status_char}] is not known; the task was imported as open.",
            )
        )
        status = "open"
    task = ParsedTask(
        line=lineno, raw=line, status=status, status_char=status_char, title="", owner=None
    )
    text, trailing_mention = _peel(description, task, warnings)
    mention = _find_mention(text)
    if mention:
        task.owner = mention[2]
        text = _remove_span(text, mention[0], mention[1])
        if trailing_mention:
            text = f"{text} @{trailing_mention}"
    elif trailing_mention:
        task.owner = trailing_mention
    task.title = " ".join(text.split())
    if any(sign in task.title for sign in _SIGNIFIERS):
        warnings.append(
            NoteWarning(
                lineno,
                "A signifier in the middle of the task was not read; "
                "dates, priority and tags must come at the end of the line.",
            )
        )
    if not task.title:
        warnings.append(NoteWarning(lineno, "The task has no description."))
    return task, warnings


def format_task(task: ParsedTask) -> str:
    """Write a task as a clean Obsidian Tasks line that ``parse_task_line`` reads back."""
    parts = [f"- [{task.status_char}] {task.title}"]
    if task.owner:
        parts.append(f"@{task.owner}")
    if task.recurrence:
        parts.append(f"{RECURRENCE_SIGN} {task.recurrence}")
    for name, emoji in _DATE_FIELDS:
        value = getattr(task, name)
        if value is not None:
            parts.append(f"{emoji} {value.isoformat()}")
    if task.priority in _PRIORITY_EMOJI:
        parts.append(_PRIORITY_EMOJI[task.priority])
    parts.extend(f"#{tag}" for tag in task.tags)
    return " ".join(parts)


def normalise_title(title: str) -> str:
    """The identity key of a task title: casefolded, spaces collapsed, no end punctuation.

    Two notes that write the same task slightly differently then match.
    """
    return " ".join(title.casefold().split()).rstrip(" .,;:!?…")


# --- Sections ---------------------------------------------------------------------

_SECTIONS = {"summary", "action items", "decisions", "key information"}


def _sections(lines: list[str], start: int) -> dict[str, list[str]]:
    """The lines under each known ``## `` heading, from line index ``start`` on."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines[start:]:
        heading = _HEADING_RE.match(line)
        if heading and len(heading.group(1)) <= 2:
            name = heading.group(2).strip().rstrip(":").casefold()
            if len(heading.group(1)) == 2 and name in _SECTIONS:
                current = sections.setdefault(name, [])
            else:
                current = None
        elif current is not None:
            current.append(line)
    return sections


def _list_items(lines: list[str]) -> list[str]:
    """The text of each list item (task lines excluded); wrapped lines are joined."""
    items: list[str] = []
    open_item = False
    for line in lines:
        if _TASK_RE.match(line):
            open_item = False
        elif item := _LIST_ITEM_RE.match(line):
            text = " ".join((item.group(1) or "").split())
            open_item = bool(text)
            if text:
                items.append(text)
        elif open_item and line.strip() and not _HEADING_RE.match(line):
            items[-1] = f"{items[-1]} {' '.join(line.split())}"
        else:
            open_item = False
    return items


def _first_heading(lines: list[str], start: int) -> str:
    """The text of the first ``# `` heading of the body, or ""."""
    for line in lines[start:]:
        heading = _HEADING_RE.match(line)
        if heading and len(heading.group(1)) == 1 and heading.group(2).strip():
            return heading.group(2).strip()
    return ""


# --- The whole note ---------------------------------------------------------------


def parse_note(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedNote:
    """Read a note from bytes or text; raise NoteError when it cannot be read at all.

    Damaged characters are repaired before parsing (see ``repair.py``); line numbers
    in warnings and repairs are those of the file. A note without tasks is returned
    as such: whether that is acceptable is the importer's decision.
    """
    raw, raw_text = _decode(data, max_bytes)
    text, repairs = repair_text(raw_text)
    lines = text.split("\n")
    front_matter, body_start = _split_front_matter(lines)
    warnings: list[NoteWarning] = []

    title = front_matter.get("title")
    title = " ".join(str(title).split()) if title is not None else ""
    if not title:
        title = _first_heading(lines, body_start)
    note_date = _note_date(front_matter.get("date"), _key_line(lines, "date", body_start), warnings)
    participants = _participants(
        front_matter.get("participants"), _key_line(lines, "participants", body_start), warnings
    )

    sections = _sections(lines, body_start)
    tasks: list[ParsedTask] = []
    for index in range(body_start, len(lines)):
        task, task_warnings = parse_task_line(lines[index], index + 1)
        warnings.extend(task_warnings)
        if task is not None:
            tasks.append(task)

    return ParsedNote(
        title=title,
        date=note_date,
        participants=participants,
        front_matter=front_matter,
        summary="\n".join(sections.get("summary", [])).strip(),
        decisions=_list_items(sections.get("decisions", [])),
        key_information=_list_items(sections.get("key information", [])),
        tasks=tasks,
        repairs=repairs,
        warnings=warnings,
        raw_text=raw_text,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
