"""Name matching that ignores case, accents and spacing."""
import unicodedata


def name_key(name: str) -> str:
    """`  Zoë  Ñúñez ` -> `zoe nunez`: the form names and aliases are matched by."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
