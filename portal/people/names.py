"""Name matching that ignores case, accents, spacing, invisible characters and letters of
other scripts that look Latin (see portal/text.py)."""
from portal.text import fold


def name_key(name: str) -> str:
    """`  Zoë  Ñúñez ` -> `zoe nunez`: the form names and aliases are matched by."""
    return fold(name)
