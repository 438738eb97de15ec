"""What makes a password acceptable: long enough, not guessable by zxcvbn (common and
breached passwords, keyboard walks, dates, repeats), not built from the person's own
email or name, and never the demo's published password."""
from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn's 0..4; 3 is "safely unguessable" for an online attack
# The demo logins' password, printed by `flask seed-demo` and in the README.
DEMO_PASSWORD = "readiness-demo-2026"  # noqa: S105  # nosec B105
# Words of the product that anyone would try first.
PRODUCT_WORDS = ("readiness", "portal", "launch", "program")


def _pieces(inputs: Iterable[str | None]) -> list[str]:
    """The email, its local part and the name's words, as zxcvbn's user inputs."""
    pieces = []
    for value in filter(None, inputs):
        value = value.strip().lower()
        local = value.partition("@")[0]
        pieces += [value, local, *local.replace(".", " ").split(), *value.split()]
    return [piece for piece in dict.fromkeys(pieces) if len(piece) >= 3]


def problem(password: str | None, inputs: Iterable[str | None] = ()) -> str | None:
    """Why `password` is refused, in words for the form; None when it is fine. `inputs`
    are the person's email and name."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > 200:
        return "Keep it within 200 characters."
    if password.casefold() == DEMO_PASSWORD:
        return "This is the demo's published password; choose your own."
    lowered = password.lower()
    locals_ = [value.strip().lower().partition("@")[0] for value in inputs
               if value and "@" in value]
    if any(len(local) >= 4 and local in lowered for local in locals_):
        return "Do not build it from your email address."
    result = zxcvbn(password[:100], user_inputs=[*_pieces(inputs), *PRODUCT_WORDS])
    if result["score"] < MIN_SCORE:
        warning = result["feedback"].get("warning") or "It would be guessed quickly."
        return f"Too easy to guess: {warning.rstrip('.')}. A few unrelated words work well."
    return None
