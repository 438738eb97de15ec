"""The vocabularies of DESIGN.md §2, stored, exported and shown exactly as written here."""


def check_in(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint that keeps `column` inside a vocabulary."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


ROLES = ("admin", "lead", "owner", "executive")
ACTION_STATUSES = ("proposed", "open", "in_progress", "done", "cancelled")
OPEN_STATUSES = ("proposed", "open", "in_progress")
PRIORITIES = ("highest", "high", "medium", "normal", "low", "lowest")
RAGS = ("green", "amber", "red", "done")
POC_STAGES = ("candidate", "confirmed", "scheduled", "running", "won", "lost", "on_hold")
OFFER_TYPES = ("private", "public")
PERSON_KINDS = ("person", "team")
OUTBOX_STATES = ("pending", "sent", "failed", "dead", "obsolete", "logged")
