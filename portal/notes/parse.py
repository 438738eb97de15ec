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
from markdown_it import MarkdownIt

from portal.clock import EARLIEST, LATEST, out_of_range
from portal.errors import DomainError
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

_VS = "\ufe0f*"  # optional variation selectors after an emoji

_TASK_RE = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[(.)\][ \t]+(\S.*)$")
_LIST_ITEM_RE = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_ISO_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


class NoteError(DomainError):
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
    block_id: str | None = None


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
    heading: str = ""


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


class _AliasRefused(yaml.YAMLError):
    """An alias (``*name``) in the front matter."""

    def __init__(self, mark: yaml.Mark):
        super().__init__()
        self.problem_mark = mark


class _Loader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses aliases and keeps an impossible date as text.

    Aliases are refused because nested ones expand exponentially: a few hundred bytes
    would cost seconds and gigabytes. Notes do not need them. An impossible date
    (2025-13-45) makes the plain SafeLoader raise ValueError, which would reject the
    whole note for what is only a warning.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark)
        return super().compose_node(parent, index)


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
    except _AliasRefused as error:
        raise NoteError(
            f"The front matter uses a YAML alias (*name) on line {error.problem_mark.line + 2}; "
            "aliases are not accepted in notes. Write the value out instead."
        ) from None
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


def _flat_name(item: object) -> str:
    """A list item as a name; ``- [[Jason Vallery]]`` without quotes is a nested list
    to YAML (``[['Jason Vallery']]``), and means the wiki link."""
    while isinstance(item, list) and len(item) == 1:
        item = item[0]
    if isinstance(item, list | dict):
        return ""
    return person_name(str(item))


def _split_names(text: str) -> list[str]:
    """``[[Ann Lee]], @Bob; Cy and Dee`` -> the names, as written in a line of text."""
    parts = re.split(r"[,;]|\s+(?:and|&)\s+", text)
    return [name for part in parts if (name := person_name(part.strip(" .*_")))]


def _participants(value: object, line: int, warnings: list[NoteWarning]) -> list[str]:
    """Participants as a list of names (wiki links and ``@`` accepted); a
    comma-separated text is accepted too."""
    if value is None:
        return []
    if isinstance(value, str):
        return _split_names(value)
    if not isinstance(value, list):
        warnings.append(
            NoteWarning(line, "The participants in the front matter are not a list; ignored.")
        )
        return []
    names = [_flat_name(item) for item in value if item is not None]
    return [name for name in names if name]


# --- Task lines -------------------------------------------------------------------

#: How often Obsidian Tasks goes round its loop of signifiers at most.
_MAX_RUNS = 21

_DATE = r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
_TASK_ID = r"[a-zA-Z0-9_-]+"
_BLOCK_ID = re.compile(r" \^([a-zA-Z0-9-]+)$")
_PRIORITY_RE = re.compile(r"([" + "".join(PRIORITY_SIGNS) + r"])" + _VS + r"$")
_RECURRENCE_RE = re.compile(RECURRENCE_SIGN + _VS + r" ?([a-zA-Z0-9, !]+)$")
_TAG_CHARS = r"[^\s!@#$%^&*(),.?\":{}|<>]+"
_TRAILING_TAG = re.compile(r"(?:^|\s)#(" + _TAG_CHARS + r")$")
_TAG = re.compile(r"(?:^|(?<=\s))#(" + _TAG_CHARS + r")")
#: Fields Obsidian Tasks reads that the portal does not keep (task id, depends on, on
#: completion): read so that they do not end up in the title.
_DROPPED_FIELDS = (
    re.compile("🆔" + _VS + " *(" + _TASK_ID + ")$"),
    re.compile("⛔" + _VS + " *(" + _TASK_ID + "(?: *, *" + _TASK_ID + " *)*)$"),
    re.compile("🏁" + _VS + " *([a-zA-Z]+)$"),
)


def _date_pattern(signs: str) -> re.Pattern[str]:
    return re.compile("[" + signs + "]" + _VS + r"\s*" + _DATE + "$")


#: The date fields in the order Obsidian Tasks tries them in each round.
_DATE_READERS = [
    (name, _date_pattern("".join(sign for sign, field in DATE_SIGNS.items() if field == name)))
    for name in ("done", "cancelled", "due", "scheduled", "start", "created")
]
_WRITTEN_FIELD = re.compile(
    "[" + "".join(DATE_SIGNS) + "]" + _VS + r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}"
    + "|" + RECURRENCE_SIGN + _VS + r"\s*every\b",
    re.IGNORECASE,
)

# A letter, or a combining accent (for names typed in decomposed form).
_LETTER = r"(?:[^\W\d_]|[\u0300-\u036f])"
_MENTION_WORD = re.compile(r"[^\W\d_]" + _LETTER + "*(?:['’-]" + _LETTER + "+)*")
_POSSESSIVE = ("'s", "’s")
_SPACES = re.compile(r"[ \t]+")
_WIKI_LINK = re.compile(r"!?\[\[([^\[\]\n]+?)\]\]")
#: The most words a name may have: ``@Ann and the team`` stops at "and" anyway.
_NAME_WORDS = 6


@dataclass(frozen=True)
class Mention:
    """An ``@Name`` or a ``[[Name]]`` in a task: where it is, whom it names, and how it
    reads in a title (``@Joe's`` reads ``Joe's``, ``[[Jason Vallery|Jason]]`` reads
    ``Jason``)."""

    start: int
    end: int
    name: str
    plain: str


def looks_like_name(text: str) -> bool:
    """Words that each start with a capital letter, as names are written: ``Rob Banga``,
    ``Zoë Ñúñez-Díaz``; not ``Pricing doc``, ``Q3 plan`` or a path."""
    words = text.split()
    return 0 < len(words) <= _NAME_WORDS and all(
        _MENTION_WORD.fullmatch(word) and word[0].isupper() for word in words
    )


def _wiki_parts(inner: str) -> tuple[str, str]:
    """``Target#Heading|Alias`` -> (the target, the text a reader sees)."""
    target, _, alias = inner.partition("|")
    target = " ".join(target.split())
    if alias.strip():
        return target, " ".join(alias.split())
    page, _, heading = target.partition("#")
    shown = f"{page.strip()} > {heading.strip()}" if heading.strip() else page.strip()
    return target, shown or target


def person_name(written: str) -> str:
    """A name as written in a participants list or an ``Attendees:`` line, without the
    ``@`` or the wiki-link brackets: ``[[Jason Vallery|Jason]]`` -> ``Jason Vallery``."""
    text = " ".join(written.split()).strip()
    if match := _WIKI_LINK.fullmatch(text):
        text = _wiki_parts(match.group(1))[0].partition("#")[0]
    return " ".join(text.removeprefix("@").split())


def _at_mention(text: str, at: int) -> Mention | None:
    """The ``@Capitalised Words`` mention whose ``@`` is at ``at``, or None.

    The name runs over words that start with an uppercase letter and stops at the first
    other word, punctuation or signifier; a possessive ``'s`` reads as part of the title
    but not of the name.
    """
    words: list[str] = []
    pos = end = at + 1
    while len(words) < _NAME_WORDS:
        word = _MENTION_WORD.match(text, pos)
        if not word or not word.group()[0].isupper():
            break
        words.append(word.group())
        end = word.end()
        gap = _SPACES.match(text, end)
        if not gap:
            break
        pos = gap.end()
    if not words:
        return None
    plain = " ".join(words)
    if words[-1].endswith(_POSSESSIVE) and len(words[-1]) > 2:
        words[-1] = words[-1][:-2]
    return Mention(at, end, " ".join(words), plain)


def find_mentions(text: str) -> tuple[list[Mention], list[tuple[int, int, str]]]:
    """The mentions of people in ``text``, and every wiki link with the text it shows.

    ``@`` inside a word (an email) is not a mention; a wiki link names a person when
    its target reads like a name (``[[Benoit]]``, not ``[[Pricing doc]]``).
    """
    mentions: list[Mention] = []
    links: list[tuple[int, int, str]] = []
    for link in _WIKI_LINK.finditer(text):
        target, shown = _wiki_parts(link.group(1))
        start = link.start() - 1 if text[link.start() - 1: link.start()] == "@" else link.start()
        links.append((start, link.end(), shown))
        if not link.group(0).startswith("!") and looks_like_name(target):
            mentions.append(Mention(start, link.end(), target, shown))
    inside = [(start, end) for start, end, _shown in links]
    for at in re.finditer(r"(?<![\w@])@", text):
        if any(start <= at.start() < end for start, end in inside):
            continue
        if mention := _at_mention(text, at.start()):
            mentions.append(mention)
    mentions.sort(key=lambda m: m.start)
    return mentions, links


def _trailing_mention(text: str) -> tuple[str, str] | None:
    """A mention that ends the text: (the text before it, the name), or None."""
    mentions, _links = find_mentions(text)
    if mentions and mentions[-1].end == len(text):
        return text[: mentions[-1].start].rstrip(), mentions[-1].name
    return None


def _plain_text(text: str) -> str:
    """The title as a reader sees it: mentions without ``@``, wiki links as their text."""
    mentions, links = find_mentions(text)
    spans = {(m.start, m.end): m.plain for m in mentions}
    for start, end, shown in links:
        spans.setdefault((start, end), shown)
    parts: list[str] = []
    pos = 0
    for (start, end), plain in sorted(spans.items()):
        if start < pos:
            continue
        parts.append(text[pos:start])
        parts.append(plain)
        pos = end
    parts.append(text[pos:])
    return " ".join("".join(parts).split())


def _set_date(task: ParsedTask, name: str, text: str, warnings: list[NoteWarning]) -> None:
    value = _parse_iso_date(text)
    if value is None:
        warnings.append(
            NoteWarning(task.line, f"The {name} date {text} is not a real date; "
                                   "the task was imported without it.")
        )
    elif out_of_range(value):
        warnings.append(NoteWarning(task.line, f"The {name} date {text} is not between "
                                               f"{EARLIEST.year} and {LATEST.year}; the task "
                                               "was imported without it."))
        value = None
    setattr(task, name, value)


def _read_signifiers(body: str, task: ParsedTask,
                     warnings: list[NoteWarning]) -> tuple[str, list[str], str | None]:
    """Take the signifiers off the end of the description, as Obsidian Tasks does.

    Each round tries every field once, anchored at the end; a field written twice keeps
    its leftmost value. Returns what is left, the tags read off the end, and an owner
    mention found after the signifiers or between them and the description (reading
    stops at the latter, so the description before it may hold anything).
    """
    text = body
    trailing: list[str] = []
    owner: str | None = None
    recurrence = ""
    read_any = False
    for _run in range(_MAX_RUNS):
        matched = False
        if match := _PRIORITY_RE.search(text):
            task.priority = PRIORITY_SIGNS[match.group(1)]
            text, matched = text[: match.start()].rstrip(), True
        for name, pattern in _DATE_READERS:
            if match := pattern.search(text):
                _set_date(task, name, match.group(1), warnings)
                text, matched = text[: match.start()].rstrip(), True
        if match := _RECURRENCE_RE.search(text):
            recurrence = match.group(1).strip()
            text, matched = text[: match.start()].rstrip(), True
        if match := _TRAILING_TAG.search(text):
            trailing.insert(0, match.group(1))
            text, matched = text[: match.start()].rstrip(), True
        for pattern in _DROPPED_FIELDS:
            if match := pattern.search(text):
                text, matched = text[: match.start()].rstrip(), True
        if matched:
            read_any = True
            continue
        if owner is None and (found := _trailing_mention(text)):
            text, owner = found
            if read_any:
                break
            continue
        break
    if recurrence:
        if recurrence.casefold().startswith("every"):
            task.recurrence = " ".join(recurrence.split())
        else:
            warnings.append(NoteWarning(
                task.line, f"The recurrence '🔁 {recurrence}' is not a rule such as "
                           "'every week'; it was ignored."))
    return text, trailing, owner


def parse_task_line(line: str, lineno: int = 1) -> tuple[ParsedTask | None, list[NoteWarning]]:
    """Read one line; return (None, []) when it is not a task line.

    A task line is a list item with a checkbox, optionally indented or quoted. Problems
    that do not stop the task (an impossible date, an unknown status) are returned as
    warnings; a task line too long to be real is skipped with a warning.

    The owner is the mention at the end of the description (before the signifiers or
    after them), else the first mention in it. Other mentions and wiki links stay in
    the title as the names they show.
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
    body = description.strip()
    if block := _BLOCK_ID.search(body):
        task.block_id = block.group(1)
        body = body[: block.start()].strip()
    text, trailing, owner = _read_signifiers(body, task, warnings)
    if owner is None:
        mentions, _links = find_mentions(text)
        owner = mentions[0].name if mentions else None
    task.owner = owner
    task.tags = list(dict.fromkeys([*(m.group(1) for m in _TAG.finditer(text)), *trailing]))
    task.title = _plain_text(text)
    if _WRITTEN_FIELD.search(task.title):
        warnings.append(
            NoteWarning(
                lineno,
                "A date or recurrence in the middle of the task was not read; "
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
        # A bare ``@Joe's`` reads as Joe's possessive: such a name goes in a wiki link.
        possessive = task.owner.endswith(_POSSESSIVE)
        parts.append(f"@[[{task.owner}]]" if possessive else f"@{task.owner}")
    if task.recurrence:
        parts.append(f"{RECURRENCE_SIGN} {task.recurrence}")
    for name, emoji in _DATE_FIELDS:
        value = getattr(task, name)
        if value is not None:
            parts.append(f"{emoji} {value.isoformat()}")
    if task.priority in _PRIORITY_EMOJI:
        parts.append(_PRIORITY_EMOJI[task.priority])
    parts.extend(f"#{tag}" for tag in task.tags)
    if task.block_id:
        parts.append(f"^{task.block_id}")
    return " ".join(parts)


# --- Structure ------------------------------------------------------------------

#: Block-level CommonMark only: where code, HTML and lists are, not the inline markup.
_MARKDOWN = MarkdownIt("commonmark").disable("inline")
_HIDING_BLOCKS = {"fence", "code_block", "html_block"}


def _hidden_lines(lines: list[str], start: int) -> set[int]:
    """Indices of the lines Obsidian does not read as Markdown: fenced and indented code
    blocks, HTML blocks (comments among them) and ``%% comments %%``.

    CommonMark decides what is code, so a task indented under a list item is still a
    task while the same line after a blank line is an indented code block.
    """
    body = "\n".join(["" if index < start else line for index, line in enumerate(lines)])
    hidden: set[int] = set()
    for token in _MARKDOWN.parse(body):
        if token.type in _HIDING_BLOCKS and token.map:
            hidden.update(range(*token.map))
    in_comment = False
    for index in range(start, len(lines)):
        if index in hidden:
            continue
        if in_comment:
            hidden.add(index)
        if lines[index].count("%%") % 2:
            in_comment = not in_comment
    return hidden


# --- Sections ---------------------------------------------------------------------

_SECTIONS = {"summary", "action items", "decisions", "key information"}
_ATTENDEES_RE = re.compile(
    r"^[ \t>]*(?:[-*+][ \t]+)?[*_]{0,2}(?:attendees|participants)[*_]{0,2}[ \t]*::?[*_]{0,2}"
    r"[ \t]*(.*)$",
    re.IGNORECASE,
)
_DATE_IN_TEXT = re.compile(r"(?<!\d)([0-9]{4})-([0-9]{2})-([0-9]{2})(?!\d)")
_EDGE_DATE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[\s_.:·|–—-]*|[\s_.:·|(–—-]*[0-9]{4}-[0-9]{2}-[0-9]{2}\)?$"
)


def date_in(text: str) -> date | None:
    """The first real ``YYYY-MM-DD`` date anywhere in ``text`` (a file name, a heading)."""
    for match in _DATE_IN_TEXT.finditer(text):
        if value := _parse_iso_date(match.group(0)):
            return value
    return None


def without_date(text: str) -> str:
    """A title without the date that starts or ends it: ``2026-11-27 Legal check-in``
    -> ``Legal check-in``; a title that is only a date is kept."""
    stripped = " ".join(_EDGE_DATE.sub("", text.strip()).split())
    return stripped or text.strip()


def _visible(lines: list[str], start: int, hidden: set[int]):
    """(index, line) of the body lines that are read as Markdown."""
    return ((index, lines[index]) for index in range(start, len(lines)) if index not in hidden)


def _sections(lines: list[str], start: int, hidden: set[int]) -> dict[str, list[str]]:
    """The lines under each known ``## `` heading, from line index ``start`` on."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for _index, line in _visible(lines, start, hidden):
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


def _first_heading(lines: list[str], start: int, hidden: set[int]) -> str:
    """The text of the first ``# `` heading of the body, or ""."""
    for _index, line in _visible(lines, start, hidden):
        heading = _HEADING_RE.match(line)
        if heading and len(heading.group(1)) == 1 and heading.group(2).strip():
            return heading.group(2).strip()
    return ""


def _attendees(lines: list[str], start: int, hidden: set[int]) -> list[str]:
    """The names on the first ``Attendees:`` (or ``Participants:``) line of the body."""
    for _index, line in _visible(lines, start, hidden):
        if not _TASK_RE.match(line) and (match := _ATTENDEES_RE.match(line)):
            return _split_names(match.group(1))
    return []


# --- The whole note ---------------------------------------------------------------


def parse_note(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedNote:
    """Read a note from bytes or text; raise NoteError when it cannot be read at all.

    Damaged characters are repaired before parsing (see ``repair.py``); line numbers
    in warnings and repairs are those of the file. A note without tasks is returned
    as such: whether that is acceptable is the importer's decision. Lines inside code
    blocks, HTML blocks and comments are not read.
    """
    raw, raw_text = _decode(data, max_bytes)
    text, repairs = repair_text(raw_text)
    lines = text.split("\n")
    front_matter, body_start = _split_front_matter(lines)
    hidden = _hidden_lines(lines, body_start)
    warnings: list[NoteWarning] = []

    heading = _first_heading(lines, body_start, hidden)
    title = front_matter.get("title")
    title = " ".join(str(title).split()) if title is not None else ""
    if not title:
        title = without_date(heading) if heading else ""
    note_date = _note_date(front_matter.get("date"), _key_line(lines, "date", body_start), warnings)
    participants = _participants(
        front_matter.get("participants"), _key_line(lines, "participants", body_start), warnings
    )
    if not participants:
        participants = _attendees(lines, body_start, hidden)

    sections = _sections(lines, body_start, hidden)
    tasks: list[ParsedTask] = []
    for index, line in _visible(lines, body_start, hidden):
        task, task_warnings = parse_task_line(line, index + 1)
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
        heading=heading,
    )
