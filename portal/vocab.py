"""The vocabularies of the portal: stored (as CHECK constraints), exported and shown exactly
as written here, and handed to the templates as `vocab`."""


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
# What the security log records (portal/auth/security.py); admins read it at /admin/security.
SECURITY_EVENTS = ("sign_in", "sign_in_failed", "sign_in_throttled", "lockout_notice",
                   "sign_out", "sign_out_everywhere", "password_changed",
                   "password_reset_by_admin", "password_reset_requested",
                   "password_set_by_link", "account_linked", "sign_in_refused",
                   "provider_error")
# What the audit trail records changes of (`portal.audit.log.record`'s entity_type), as
# people read it; the activity page filters by these kinds.
AUDIT_KINDS = {"action_item": "Action item", "criterion": "Exit criterion",
               "customer": "Customer", "decision": "Decision", "hyperscaler": "Hyperscaler",
               "meeting": "Meeting", "milestone": "Milestone", "outbox_message": "Mail",
               "person": "Person", "poc": "POC", "program": "Program",
               "setting": "Setting", "user": "Login", "workstream": "Workstream"}


def label(value: str | None) -> str:
    """A vocabulary value as people read it: `in_progress` -> `In progress`."""
    if not value:
        return ""
    return value.replace("_", " ").capitalize()
