"""Text typed or pasted by people, made safe to store, show and match.

Names and titles are stored as one line of text (NFC) without control or format
characters (NUL, zero-width spaces and joiners, soft hyphens, byte-order marks, direction
marks). For matching, `fold` goes further: NFKC (full-width and compatibility forms),
letters that look Latin (Cyrillic and Greek look-alikes) mapped onto the Latin ones,
accents and case dropped; so "Jаson" with a Cyrillic а, or "ＪＡＳＯＮ", is Jason, while
the name shown stays as typed (an ellipsis stays an ellipsis).
"""
from __future__ import annotations

import unicodedata

# Letters of other scripts drawn like Latin ones (Unicode's confusables for the letters
# that occur in names), for matching keys only.
_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "ι": "i", "κ": "k",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})


def _visible(char: str) -> bool:
    """Not a control (Cc) or format (Cf) character; tab and newline count as spaces."""
    return unicodedata.category(char) not in ("Cc", "Cf")


def one_line(value: str | None) -> str:
    """`  Zoë\u200b  Núñez\x00 ` -> `Zoë Núñez`: NFC, no control or format characters,
    spaces collapsed. What a name or a title is stored as."""
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(ch if _visible(ch) else (" " if ch in "\t\n\r" else "") for ch in text)
    return " ".join(text.split())


def clean_text(value: str | None) -> str:
    """Multi-line text (notes, comments, descriptions): NFC, line breaks and tabs kept,
    other control and format characters removed, ends trimmed."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or _visible(ch)).strip()


def keyword_text(text: str | None) -> str:
    """A workstream's keywords as it keeps them and the importer reads them: one space
    between words, commas read as spaces too ("telemetry, Tableau" is two words)."""
    return " ".join((text or "").replace(",", " ").split())


def fold(value: str | None) -> str:
    """The form two spellings are matched by: `one_line`, look-alike letters made Latin,
    accents dropped, case folded. Never shown."""
    text = unicodedata.normalize("NFKC", one_line(value)).translate(_LOOKALIKES)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
