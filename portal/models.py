"""Imports every area's models, so the metadata is complete for Alembic and create_all."""
from portal.actions.models import ActionItem, Comment
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.notes.models import Meeting
from portal.pagecache import DataVersion
from portal.people.models import Person, PersonAlias
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.program.models import Criterion, Decision, Milestone, Program, StatusUpdate, Workstream
from portal.reminders.models import OutboxMessage, ReminderPoint, Setting
from portal.summary.models import Snapshot

__all__ = [
    "ActionItem", "AuditEvent", "Comment", "Criterion", "Customer", "DataVersion", "Decision",
    "Hyperscaler", "Meeting", "Milestone", "OutboxMessage", "Person", "PersonAlias", "Poc",
    "Program", "ReminderPoint", "Setting", "Snapshot", "StatusUpdate", "User", "Workstream",
]
