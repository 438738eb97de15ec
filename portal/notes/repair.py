"""Repair text that was once decoded with the wrong code page.

The sample notes were saved as UTF-8, read back as Windows-1252 or Windows-1254 and
saved again, so the Obsidian Tasks emoji show up as ``ğŸ“…`` (📅) or ``â«`` (⏫, one
byte lost on the way). General mojibake (``â€“`` for an en dash) is left to ftfy, but
ftfy cannot restore a sequence that lost a byte and sometimes guesses wrong around
them (``â« `` becomes ``⫠``), so the signifiers are repaired first from a table of
their known damaged forms.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

import ftfy

#: Every emoji the task parser understands, as written by Obsidian Tasks.
SIGNIFIER_EMOJI = "📅 📆 🗓 ⏳ ⌛ 🛫 ➕ ✅ ❌ 🔺 ⏫ 🔼 🔽 ⏬ 🔁".split()

#: The code pages the notes were mis-decoded with.
CODEPAGES = ("cp1252", "cp1254")

#: ftfy without the fixes that would change clean text (quotes, ligatures, widths,
#: HTML entities, Unicode normalisation) or move line breaks.
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)


@dataclass(frozen=True)
class Repair:
    """One repaired sequence: where it was, what it was and what it became.

    ``kind`` is ``"signifier"`` for a task emoji restored from the table and
    ``"text"`` for general mojibake fixed by ftfy.
    """

    line: int
    original: str
    replacement: str
    kind: str


def _decode_byte(byte: int, codepage: str, undefined: str) -> str:
    """Decode one byte; an undefined byte is lost, kept as a C1 control or U+FFFD."""
    try:
        return bytes([byte]).decode(codepage)
    except UnicodeDecodeError:
        return {"drop": "", "keep": chr(byte), "replace": "\ufffd"}[undefined]


def _decodings(data: bytes) -> set[str]:
    """``data`` read with each code page, undefined bytes lost or kept in some form."""
    return {
        "".join(_decode_byte(b, codepage, undefined) for b in data)
        for codepage in CODEPAGES
        for undefined in ("drop", "keep", "replace")
    }


def _damaged_forms(signifier: str) -> tuple[set[str], set[str]]:
    """The ways ``signifier`` can look after a wrong decoding.

    Returns the forms of the whole byte sequence and, apart, the forms of the sequence
    with any single byte missing. A form must still hold a mis-decoded lead byte (so it
    is recognisable mojibake); whole forms need two characters, forms with a missing
    byte three, because shorter ones would be a prefix of too many other characters.
    """
    data = signifier.encode("utf-8")
    lead_chars = {_decode_byte(b, cp, "drop") for b in data if b >= 0xC0 for cp in CODEPAGES}
    whole = {f for f in _decodings(data) if len(f) >= 2 and lead_chars & set(f)}
    dropped = set()
    for i in range(len(data)):
        for form in _decodings(data[:i] + data[i + 1 :]):
            if len(form) >= 3 and lead_chars & set(form):
                dropped.add(form)
    return whole, dropped - whole


@lru_cache(maxsize=1)
def damaged_signifiers() -> dict[str, str]:
    """The table: damaged form -> clean signifier (with U+FE0F when it had one).

    Whole forms win over forms with a missing byte; a form that two different
    signifiers produce at the same rank is ambiguous and left out.
    """
    table: dict[str, str] = {}
    for rank in (0, 1):
        found: dict[str, set[str]] = {}
        for emoji in SIGNIFIER_EMOJI:
            # When both spellings give the same form, the plain emoji (shorter) is kept.
            for signifier in (emoji, emoji + "\ufe0f"):
                for form in _damaged_forms(signifier)[rank]:
                    found.setdefault(form, set()).add(signifier)
        for form, signifiers in found.items():
            plain = {s.rstrip("\ufe0f") for s in signifiers}
            if form not in table and len(plain) == 1:
                table[form] = min(signifiers, key=len)
    return table


#: What must follow a signifier for a damaged form to be taken as one: a date after a
#: date emoji, "every ..." after the recurrence emoji, a space or the line end after a
#: priority emoji.
_CONTEXT = {
    **dict.fromkeys("📅📆🗓⏳⌛🛫➕✅❌", r"(?=\s*[0-9]{4}-[0-9]{2}-[0-9]{2})"),
    "🔁": r"(?=\s*(?i:every)\b)",
    **dict.fromkeys("🔺⏫🔼🔽⏬", r"(?=\s|$)"),
}


@lru_cache(maxsize=1)
def _signifier_pattern() -> re.Pattern[str]:
    """One alternation of every damaged form, longest first, so the longest wins.

    A form is replaced only where a signifier plausibly stands: at the start of a word,
    followed by what that signifier takes (see ``_CONTEXT``). Clean text never matches.
    """
    table = damaged_signifiers()
    alternatives = [
        re.escape(form) + _CONTEXT[table[form].rstrip("\ufe0f")]
        for form in sorted(table, key=lambda f: (-len(f), f))
    ]
    return re.compile(r"(?<!\S)(?:" + "|".join(alternatives) + ")")


def _repair_signifiers(line: str, lineno: int, repairs: list[Repair]) -> str:
    """Replace the damaged signifiers of one line, recording each replacement."""
    table = damaged_signifiers()

    def replace(match: re.Match[str]) -> str:
        clean = table[match.group(0)]
        repairs.append(Repair(lineno, match.group(0), clean, "signifier"))
        return clean

    return _signifier_pattern().sub(replace, line)


def _repair_mojibake(line: str, lineno: int, repairs: list[Repair]) -> str:
    """Fix general mojibake of one line with ftfy, recording each changed span."""
    fixed = ftfy.fix_text(line, FTFY_CONFIG)
    if fixed == line or "\n" in fixed:  # a new line would shift the line numbers
        return line
    matcher = difflib.SequenceMatcher(None, line, fixed, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            repairs.append(Repair(lineno, line[i1:i2], fixed[j1:j2], "text"))
    return fixed


def repair_text(text: str) -> tuple[str, list[Repair]]:
    """Undo wrong decodings in ``text``, line by line so line numbers stay valid.

    Returns the repaired text and the list of repairs (empty for clean text, which
    comes back unchanged).
    """
    repairs: list[Repair] = []
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.isascii():
            continue  # mojibake is never plain ASCII; this keeps big notes fast
        lineno = index + 1
        line = _repair_signifiers(line, lineno, repairs)
        lines[index] = _repair_mojibake(line, lineno, repairs)
    return "\n".join(lines), repairs
