"""Whole numbers that come from outside (form fields, query strings, URLs): bounded, so a
crafted value is refused with a clear 4xx, never an overflow (500) or a skipped check."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

# The largest value of an INTEGER column on PostgreSQL; every id and version fits.
MAX_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route (`create_app` puts it in place of Werkzeug's): a number past
    `MAX_INT` matches no route (404) instead of overflowing the database's integer (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def bounded_int(raw: object, minimum: int = 0) -> int | None:
    """'12' -> 12, '007' -> 7; None for anything that is not ASCII digits or lies outside
    minimum..MAX_INT."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if minimum <= raw <= MAX_INT else None
    text = str(raw if raw is not None else "").strip()
    if not text or len(text) > 20 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= MAX_INT else None


def page_number(raw: object) -> int:
    """A page number from a query string: 1 for anything that is not a page."""
    return bounded_int(raw, 1) or 1


def id_list(values) -> list[int] | None:
    """Every value a bounded id, or None when one is not."""
    ids = [bounded_int(value, 1) for value in values]
    return None if any(i is None for i in ids) else ids
