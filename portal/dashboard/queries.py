"""What the dashboard shows, read in a fixed number of statements whatever the data size:
aggregates for the counts, LIMITed lists with their owners and workstreams joined in."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, cached_property
from typing import ClassVar

from sqlalchemy import Integer, bindparam, cast, func, select
from sqlalchemy.orm import Session

from portal.actions import tally
from portal.actions.models import ActionItem, is_open
from portal.actions.queries import ListedItem, Soonest, listed_items, row_select, written_limit
from portal.extensions import read_rows
from portal.people.models import Person
from portal.program.models import Program, Workstream
from portal.program.readiness import (
    DUE_SOON_DAYS,
    HealthRule,
    ProgramReadiness,
    WorkstreamFigures,
    program_readiness,
    workstream_figures,
)
from portal.vocab import OPEN_STATUSES

LIST_LIMIT = 8
RECENT_LIMIT = 8
LATE_OWNERS_LIMIT = 6


@dataclass
class Totals:
    open: int = 0
    overdue: int = 0
    due_week: int = 0
    mine_open: int = 0
    mine_overdue: int = 0
    unowned: int = 0


@dataclass(frozen=True)
class LateOwner:
    """One owner's late items: how many, and the due date of the oldest. `person_id` None
    stands for the items nobody owns."""

    person_id: int | None
    name: str
    late: int
    oldest_due: date


@dataclass
class LateByOwner:
    owners: list[LateOwner]
    total_owners: int  # owners with late items, of whom `owners` are the most late
    items: int = 0  # the late items of all owners

    @property
    def more(self) -> int:
        return self.total_owners - len(self.owners)


@dataclass
class Dashboard:
    program: Program
    figures: list[WorkstreamFigures]
    overall: ProgramReadiness
    next_due: dict[int, ListedItem]
    totals: Totals
    leads: dict[int, str] = field(default_factory=dict)  # the lead's name by workstream id
    overdue: list[ListedItem] = field(default_factory=list)
    due_week: list[ListedItem] = field(default_factory=list)
    recent: list[ListedItem] = field(default_factory=list)
    mine: list[ListedItem] = field(default_factory=list)
    late_by_owner: LateByOwner = field(default_factory=lambda: LateByOwner([], 0))
    # The lists show at most this many items; a count above it links to the whole list.
    list_limit: ClassVar[int] = LIST_LIMIT

    @property
    def rule(self) -> HealthRule:
        """The program's health rule: the words under "Workstreams" state it."""
        return HealthRule.of(self.program)

    @cached_property
    def flagged(self) -> list[WorkstreamFigures]:
        """Workstreams whose owner reports better than the figures show."""
        return [f for f in self.figures if f.disagrees]

    @property
    def at_risk(self) -> int:
        return sum(1 for f in self.figures if f.effective_rag in ("amber", "red"))


_OVERDUE = Soonest(ActionItem.due_date < bindparam("today"))
_DUE_SOON = Soonest(ActionItem.due_date.between(bindparam("today"), bindparam("until")))
_MINE = Soonest(ActionItem.owner_id == bindparam("person_id"), undated=True)


@cache
def _next_due_statement():
    """`next_due_by_workstream`'s statement, built once (the program a bind parameter)."""
    soonest = (select(ActionItem.id)
               .where(ActionItem.workstream_id == Workstream.id, is_open(),
                      ActionItem.due_date.is_not(None))
               .order_by(ActionItem.due_date, ActionItem.id).limit(written_limit(1))
               .scalar_subquery())
    chosen = (select(soonest.label("id")).where(Workstream.program_id == bindparam("program_id"))
              .subquery())
    return row_select().join(chosen, chosen.c.id == ActionItem.id)


def next_due_by_workstream(session: Session, program_id: int) -> dict[int, ListedItem]:
    """The open item due soonest (overdue ones first), per workstream: one statement whose
    cost does not grow with the items, one seek a workstream on the open items' index
    (`ix_action_item_open_due`, in due order), and only those items read."""
    rows = listed_items(session, _next_due_statement(), {"program_id": program_id})
    return {row.workstream_id: row for row in rows}


@cache
def _totals_statement():
    """`totals`' statement, built once: the day and the person are bind parameters."""
    def count(*conditions):
        return (select(func.count()).select_from(ActionItem)
                .where(is_open(), *conditions).scalar_subquery())

    overdue = ActionItem.due_date < bindparam("today")
    mine = ActionItem.owner_id == bindparam("person_id")
    return select(
        tally.count_in(OPEN_STATUSES),
        count(ActionItem.due_date.between(bindparam("today"), bindparam("soon_end"))),
        count(mine), count(mine, overdue), count(ActionItem.owner_id.is_(None)),
    )


def totals(session: Session, today: date, person_id: int | None, *, overdue: int) -> Totals:
    """Every count the page shows about items, in one statement: the open items from the
    tally the triggers keep, the others each a count over one index range of the open
    items (by status and due date, or by owner and status), so no row is tested for
    anything the index does not order it by. The `overdue` ones are counted by
    `late_by_owner`, which reads them all anyway."""
    open_, *rest = read_rows(session, _totals_statement(), {
        "today": today, "soon_end": today + timedelta(days=DUE_SOON_DAYS),
        "person_id": person_id if person_id is not None else -1}).one()
    return Totals(open_, overdue, *rest)


@cache
def _late_by_owner_statement():
    """`late_by_owner`'s statement, built once: the day and the limit are bind parameters."""
    late = (
        select(ActionItem.owner_id, func.count().label("late"),
               func.min(ActionItem.due_date).label("oldest"),
               func.count().over().label("owners"),
               cast(func.sum(func.count()).over(), Integer).label("late_items"))
        .where(is_open(), ActionItem.due_date < bindparam("today"))
        .group_by(ActionItem.owner_id).subquery()
    )  # grouped on the index alone; names joined to the groups, not to every late item
    return (select(late.c.owner_id, Person.name, late.c.late, late.c.oldest, late.c.owners,
                   late.c.late_items)
            .outerjoin(Person, Person.id == late.c.owner_id)
            .order_by(late.c.late.desc(), late.c.oldest, Person.name)
            .limit(bindparam("limit")))


def late_by_owner(session: Session, today: date, limit: int = LATE_OWNERS_LIMIT) -> LateByOwner:
    """Who owns what is late: the `limit` owners with the most overdue open items (the
    longest late first among equals), the unowned ones as one more "owner", and how many
    owners and items are late in all. One grouped statement."""
    rows = read_rows(session, _late_by_owner_statement(),
                     {"today": today, "limit": limit}).all()
    owners = [LateOwner(owner_id, name or "Nobody (unassigned)", count, first)
              for owner_id, name, count, first, _, _ in rows]
    if not rows:
        return LateByOwner([], 0)
    return LateByOwner(owners, rows[0].owners, rows[0].late_items)


@cache
def _leads_statement():
    """Each workstream's lead's name, built once (the program a bind parameter)."""
    return (select(Workstream.id, Person.name).join(Person, Person.id == Workstream.lead_id)
            .where(Workstream.program_id == bindparam("program_id")))


def workstream_leads(session: Session, program_id: int) -> dict[int, str]:
    """The name of each workstream's lead, by workstream id (those with one): what a card
    shows of the lead, read as rows rather than by loading the workstreams and people."""
    return dict(read_rows(session, _leads_statement(), {"program_id": program_id}).all())


def dashboard_figures(session: Session, program: Program, today: date,
                      person_id: int | None) -> Dashboard:
    """The figures of `/` without its item lists: the counts, the workstreams' figures, the
    late owners. What an item's change in one of the lists moves (sent out of band)."""
    figures = workstream_figures(session, program.id, today, rule=HealthRule.of(program))
    late = late_by_owner(session, today)
    return Dashboard(
        program=program, figures=figures, overall=program_readiness(figures),
        next_due=next_due_by_workstream(session, program.id),
        totals=totals(session, today, person_id, overdue=late.items),
        leads=workstream_leads(session, program.id), late_by_owner=late,
    )


@cache
def _recent_statement():
    """The items changed last ("Recently changed"), built once."""
    return (row_select().order_by(ActionItem.updated_at.desc(), ActionItem.id.desc())
            .limit(written_limit(RECENT_LIMIT)))


def load_dashboard(session: Session, program: Program, today: date,
                   person_id: int | None) -> Dashboard:
    """Everything on `/` for `program` as seen by `person_id` (None: a login without person)."""
    board = dashboard_figures(session, program, today, person_id)
    overdue = _OVERDUE(session, LIST_LIMIT, today=today)
    due_week = _DUE_SOON(session, LIST_LIMIT, today=today,
                         until=today + timedelta(days=DUE_SOON_DAYS))
    recent = listed_items(session, _recent_statement())
    mine = []
    if person_id is not None:
        mine = _MINE(session, LIST_LIMIT, person_id=person_id)
    board.overdue, board.due_week, board.recent, board.mine = overdue, due_week, recent, mine
    return board
