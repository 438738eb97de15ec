"""The setup checklist of a new program: what is still missing before the portal can do its
work, each step with the page where it is done. One statement, whatever the data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import and_, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem, is_open
from portal.auth.models import User
from portal.extensions import read_rows
from portal.notes.models import Meeting
from portal.people.models import Person
from portal.pocs.models import Hyperscaler
from portal.program.models import Milestone, Program, Workstream


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    detail: str
    endpoint: str
    args: dict = field(default_factory=dict)
    # Worth doing, but the portal works without it: it neither counts nor keeps the list open.
    optional: bool = False


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def required(self) -> list[Step]:
        return [step for step in self.steps if not step.optional]

    @property
    def done(self) -> bool:
        """Every required step is done: the dashboard then shows the list no more."""
        return all(step.done for step in self.required)

    @property
    def done_count(self) -> int:
        return sum(1 for step in self.required if step.done)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


@cache
def _counts_statement():
    """`_counts`' statement, built once (building it cost twice what running it does):
    the program is a bind parameter."""
    def count(query):
        return query.scalar_subquery()

    program_id = bindparam("program_id")
    gating = and_(Workstream.program_id == program_id, Workstream.gating.is_(True),
                  Workstream.archived_at.is_(None))
    # Owners are counted from the people side, one seek each on the open items' index by
    # owner (`ix_action_item_open_owner`), in one pass: the cost follows the people, not
    # the items.
    owns_open = select(ActionItem.id).where(ActionItem.owner_id == Person.id, is_open()).exists()
    no_email = or_(Person.email.is_(None), Person.email == "")
    no_login = and_(Person.kind == "person", ~exists().where(User.person_id == Person.id))
    owners = select(func.count(case((no_email, 1))),
                    func.count(case((no_login, 1)))).where(owns_open).subquery()
    return select(
        count(select(func.count()).select_from(Milestone)
              .where(Milestone.program_id == program_id)).label("milestones"),
        count(select(func.count()).select_from(Workstream).where(gating)).label("gating"),
        count(select(func.count()).select_from(Workstream)
              .where(gating, Workstream.lead_id.is_(None))).label("gating_without_lead"),
        count(select(func.count()).select_from(Hyperscaler)).label("hyperscalers"),
        count(select(func.count()).select_from(Meeting)).label("meetings"),
        *(column.label(name) for column, name in zip(
            owners.c, ("owners_without_email", "owners_without_login"), strict=True)),
    ).select_from(owners)


def _counts(session: Session, program_id: int) -> dict[str, int]:
    return read_rows(session, _counts_statement(), {"program_id": program_id}).one()._asdict()


def setup_checklist(session: Session, program: Program, today: date) -> Checklist:
    """The steps of a new program, done or not. Owners are judged once a note has been
    imported (before that there is nobody to judge); teams need an email, not a login.
    Inviting owners is optional: most work from their reminder mails without signing in,
    so a real team's list would otherwise never end."""
    c = _counts(session, program.id)
    days = (program.target_date - today).days
    imported = c["meetings"] > 0
    steps = [
        Step("dates", "Program dates", days > 0,
             f"Ready by {program.target_date:%d %b %Y}, in {_plural(days, 'day')}."
             if days > 0 else "The readiness date is not in the future: set the date the "
                              "program must be ready by.",
             "program.edit"),
        Step("milestones", "Milestones", c["milestones"] > 0,
             _plural(c["milestones"], "milestone") + "." if c["milestones"]
             else "No milestones yet: add the dates on the way to readiness.",
             "program.milestones"),
        Step("workstreams", "Gating workstreams with leads",
             c["gating"] > 0 and c["gating_without_lead"] == 0,
             (f"{_plural(c['gating'], 'gating workstream')}"
              + (f", {c['gating_without_lead']} without a lead." if c["gating_without_lead"]
                 else ", each with a lead.")) if c["gating"]
             else "No gating workstream yet: add the workstreams that decide readiness.",
             "workstreams.index"),
        Step("hyperscalers", "Hyperscalers", c["hyperscalers"] > 0,
             _plural(c["hyperscalers"], "hyperscaler") + " in priority order."
             if c["hyperscalers"] else "No hyperscalers yet: add the clouds the POCs run on.",
             "pocs.hyperscalers"),
        Step("import", "First meeting note imported", imported,
             "A meeting note is imported." if imported
             else "Import a meeting note to create the action items and their owners.",
             "notes.new_import"),
        Step("emails", "Owners with emails", imported and c["owners_without_email"] == 0,
             ("Every owner of an open item has an email." if c["owners_without_email"] == 0
              else f"{_plural(c['owners_without_email'], 'owner')} of open items "
                   f"{'has' if c['owners_without_email'] == 1 else 'have'} no email, so no "
                   "reminder reaches them.") if imported
             else "After the first import: every owner of an open item needs an email.",
             "people.index", {"missing": 1}),
        Step("invited", "Owners invited", imported and c["owners_without_login"] == 0,
             ("Every owner of an open item can sign in." if c["owners_without_login"] == 0
              else f"{_plural(c['owners_without_login'], 'owner')} of open items cannot sign "
                   "in yet. Their reminders let them mark items done or snooze them; invite "
                   "those who should see and change more from their page.") if imported
             else "After the first import: invite the owners who should sign in.",
             "people.index", optional=True),
    ]
    return Checklist(steps)
