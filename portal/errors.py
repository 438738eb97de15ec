"""The base of every domain error: a sentence for the person who asked, and the input it
belongs beside. Views put it on their form with `portal.forms.field_error` (422), and a
`Conflict` answers 409."""
from __future__ import annotations


class DomainError(ValueError):
    """A change the domain refuses; `field` names the input the message belongs beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(DomainError):
    """Someone saved a newer version first; nothing was saved."""
