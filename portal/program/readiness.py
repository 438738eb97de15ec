"""Readiness: the one formula the dashboard, the workstream pages, the executive summary,
its snapshots and the weekly digest share.

A workstream's readiness is the weighted share of its exit criteria that are met and the
share of its action items that are done. Its computed health comes from its late items
under the program's `HealthRule`: a grace period before an overdue item counts as late,
and a minimum share of late open items before one late item turns the workstream amber,
so a workstream is not red for one item a day late. The program's RAG is the worst
effective RAG (the worse of owner-reported and computed) of any gating workstream.

`explanation(rule)` and `short_explanation(rule)` are the words every page shows for all
this, built from the same constants and the program's rule, so the text never drifts
from the arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, cached_property

from sqlalchemy import bindparam, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem, ItemTally
from portal.extensions import read_rows
from portal.program.models import (
    GRACE_DAYS_DEFAULT,
    MIN_SHARE_DEFAULT,
    Criterion,
    Workstream,
)
from portal.vocab import OPEN_STATUSES

CRITERIA_SHARE = 0.6
ITEMS_SHARE = 0.4
DUE_SOON_DAYS = 7

# The health rule's fixed thresholds; its per-program settings, their defaults and bounds
# are on the Program model.
RED_SHARE = 50  # percent: at least half of the open items late (and at least two) is red
RED_AFTER_GRACE_DAYS = 7  # a week beyond the grace period: an item this late is serious

# Worse comes later; `done` counts as the best state.
RAG_ORDER = {"done": 0, "green": 1, "amber": 2, "red": 3}


def worse(a: str, b: str) -> str:
    return a if RAG_ORDER.get(a, 1) >= RAG_ORDER.get(b, 1) else b


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class HealthRule:
    """When late items make a workstream amber or red; each program sets its own.

    An open item is *late* (for health) once it is more than `grace_days` past its due
    date; it shows as overdue everywhere from its first day. With L late among O open
    items and the oldest late one A days past its date:

    - red when L >= 2 and L/O >= RED_SHARE %, or when A >= grace_days +
      RED_AFTER_GRACE_DAYS and L/O >= min_share %;
    - amber when L/O >= min_share % (L >= 1), or when A >= grace_days +
      RED_AFTER_GRACE_DAYS (so an item a week beyond the grace period is never hidden
      in a big workstream);
    - green otherwise.
    """

    grace_days: int = GRACE_DAYS_DEFAULT
    min_share: int = MIN_SHARE_DEFAULT

    @classmethod
    def of(cls, program) -> HealthRule:
        """The rule a program has set (a `Program` or anything with its two fields)."""
        return cls(grace_days=int(program.health_grace_days),
                   min_share=int(program.health_min_share))

    @classmethod
    def from_json(cls, data: dict | None) -> HealthRule:
        return cls(**data) if data else cls()

    @property
    def serious_days(self) -> int:
        """Days past its date from which a late item alone is serious."""
        return self.grace_days + RED_AFTER_GRACE_DAYS

    def late_before(self, today: date) -> date:
        """An open item due before this day is late on `today`."""
        return today - timedelta(days=self.grace_days)

    def is_late(self, due_date: date | None, today: date) -> bool:
        return due_date is not None and due_date < self.late_before(today)

    def health(self, items_open: int, items_late: int, oldest_late_days: int) -> str:
        """red, amber or green for a workstream's open and late items."""
        if items_late <= 0 or items_open <= 0:
            return "green"
        reaches_min = items_late * 100 >= self.min_share * items_open
        serious = oldest_late_days >= self.serious_days
        if (items_late >= 2 and items_late * 100 >= RED_SHARE * items_open) or (
                serious and reaches_min):
            return "red"
        if reaches_min or serious:
            return "amber"
        return "green"

    def late_words(self) -> str:
        """When an item counts as late, in words."""
        if self.grace_days == 0:
            return "as soon as it is past its due date"
        return f"once it is more than {_days(self.grace_days)} past its due date"


DEFAULT_RULE = HealthRule()


def explanation(rule: HealthRule) -> list[str]:
    """How readiness and health are computed, in paragraphs: the one text the dashboard,
    the workstream pages and the summary show."""
    share = f"{rule.min_share} %"
    return [
        f"A workstream's readiness is {round(CRITERIA_SHARE * 100)} % the weighted share of "
        f"its exit criteria that are met and {round(ITEMS_SHARE * 100)} % the share of its "
        "action items that are done (cancelled items left out). With only criteria or only "
        "items, that part alone counts; with neither, it is 0 %.",
        "The overall score is the average readiness of the gating workstreams, each weighted "
        "by its criteria weight plus its number of items, so bigger workstreams count more.",
        f"An open item counts as late for health {rule.late_words()} (it shows as overdue "
        f"from its first day). A workstream's computed health is red when at least "
        f"{RED_SHARE} % of its open items are late (and at least two are), or when an item "
        f"is {_days(rule.serious_days)} or more past its date and at least {share} of its "
        f"open items are late; amber when at least {share} of its open items are late, or "
        f"when one item is {_days(rule.serious_days)} or more past its date; green "
        "otherwise; done when everything is finished. The program page sets the grace "
        "period and the share.",
        "The program's status is the worst status of any gating workstream, taking for each "
        "the worse of the owner-reported status and the computed health. A red gating "
        "workstream therefore makes the whole program red, whatever the average.",
    ]


def health_sentence(rule: HealthRule) -> str:
    """The health rule in one sentence, for the program page."""
    return (f"An item counts as late {rule.late_words()}; health turns amber when "
            f"{rule.min_share}% of the open items are late or one is "
            f"{_days(rule.serious_days)} past its date, and red when half are late (at least "
            f"two) or when {rule.min_share}% are late and one is "
            f"{_days(rule.serious_days)} past its date.")


def short_explanation(rule: HealthRule) -> str:
    """The formula in two sentences, for the head of a list of workstreams."""
    return (f"Readiness is {round(CRITERIA_SHARE * 100)}% exit criteria met and "
            f"{round(ITEMS_SHARE * 100)}% action items done. {health_sentence(rule)}")


@dataclass(frozen=True)
class WorkstreamFigures:
    """Everything the pages show about one workstream's readiness. What is derived from
    the counts (readiness, health) is worked out once per instance: a page asks for it
    several times a workstream (its card, the flags, the program's status)."""

    workstream_id: int
    name: str
    gating: bool
    rag: str
    criteria_done_weight: int = 0
    criteria_total_weight: int = 0
    items_total: int = 0  # cancelled items left out
    items_done: int = 0
    items_open: int = 0
    items_overdue: int = 0
    items_due_soon: int = 0
    oldest_overdue_days: int = 0
    # Open items late beyond the rule's grace period: what health counts.
    items_late: int = 0
    rule: HealthRule = DEFAULT_RULE

    @cached_property
    def readiness(self) -> float:
        criteria = (self.criteria_done_weight / self.criteria_total_weight
                    if self.criteria_total_weight else None)
        items = self.items_done / self.items_total if self.items_total else None
        if criteria is not None and items is not None:
            return CRITERIA_SHARE * criteria + ITEMS_SHARE * items
        if criteria is not None:
            return criteria
        return items if items is not None else 0.0

    @property
    def percent(self) -> int:
        return round(self.readiness * 100)

    @cached_property
    def health(self) -> str:
        if self.rag == "done" or (
            self.items_open == 0 and self.readiness >= 1.0
            and (self.items_total or self.criteria_total_weight)
        ):
            return "done"
        return self.rule.health(self.items_open, self.items_late, self.oldest_late_days)

    @property
    def oldest_late_days(self) -> int:
        """The oldest overdue item is the oldest late one, when any is late."""
        return self.oldest_overdue_days if self.items_late else 0

    @property
    def health_reason(self) -> str:
        """The late items behind the computed health, in a few words."""
        if not self.items_late:
            if self.items_overdue:
                return (f"{self.items_overdue} overdue, none beyond the "
                        f"{_days(self.rule.grace_days)} of grace")
            return "nothing late"
        return (f"{self.items_late} of {self.items_open} open "
                f"item{'' if self.items_open == 1 else 's'} late, the oldest "
                f"{_days(self.oldest_late_days)} past its date")

    @cached_property
    def effective_rag(self) -> str:
        return worse(self.rag, self.health)

    @cached_property
    def disagrees(self) -> bool:
        """The owner reports better than the figures show (say green with late items)."""
        return RAG_ORDER.get(self.health, 1) > RAG_ORDER.get(self.rag, 1)

    @property
    def weight(self) -> int:
        return max(1, self.criteria_total_weight + self.items_total)


@dataclass(frozen=True)
class ProgramReadiness:
    score: float
    rag: str
    reason: str
    gating: list[WorkstreamFigures] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def program_readiness(figures: list[WorkstreamFigures]) -> ProgramReadiness:
    """The program's score, RAG and the sentence that says why."""
    gating = [f for f in figures if f.gating]
    if not gating:
        return ProgramReadiness(0.0, "amber", "No gating workstreams are defined yet.", [])
    total_weight = sum(f.weight for f in gating)
    score = sum(f.readiness * f.weight for f in gating) / total_weight
    rag = "done"
    for f in gating:
        rag = worse(rag, f.effective_rag)
    count = len(gating)
    if rag in ("green", "done") and not any(f.items_total or f.criteria_total_weight
                                            for f in gating):
        # Nothing measured is not "on track": a new program says what it still lacks.
        return ProgramReadiness(score, "amber", "Nothing is tracked yet: the gating "
                                "workstreams have no action items and no done criteria.",
                                gating)
    if rag in ("red", "amber"):
        names = sorted(f.name for f in gating if f.effective_rag == rag)
        verb = "is" if len(names) == 1 else "are"
        reason = f"{len(names)} of {count} gating workstreams {verb} {rag}: {', '.join(names)}."
    elif rag == "done":
        reason = ("The gating workstream is done." if count == 1
                  else f"All {count} gating workstreams are done.")
    else:
        reason = ("The gating workstream is on track." if count == 1
                  else f"All {count} gating workstreams are on track.")
    return ProgramReadiness(score=score, rag=rag, reason=reason, gating=gating)


@dataclass
class _ItemCounts:
    """One workstream's item counts (cancelled items left out)."""

    total: int = 0
    done: int = 0
    open: int = 0
    overdue: int = 0
    late: int = 0
    due_soon: int = 0
    oldest_due: date | None = None


@cache
def _item_counts_statement():
    """`_item_counts`' statement, built once: its values are bind parameters. Both parts
    are grouped by workstream alone, so it hands back two rows a workstream."""
    due, n, status = ActionItem.due_date, ItemTally.n, ItemTally.status
    ids = bindparam("ids", expanding=True)

    def tallied(condition):
        return func.sum(case((condition, n), else_=0))

    by_status = (
        select(ItemTally.workstream_id, tallied(status != "cancelled"),
               tallied(status == "done"), tallied(status.in_(OPEN_STATUSES)),
               *(literal(0) for _ in range(3)), literal(None, due.type))
        .where(ItemTally.workstream_id.in_(ids))
        .group_by(ItemTally.workstream_id))
    by_date = (
        select(ActionItem.workstream_id, *(literal(0) for _ in range(3)),
               func.count(case((due < bindparam("today"), 1))),
               func.count(case((due < bindparam("late_before"), 1))),
               func.count(case((due >= bindparam("today"), 1))),
               func.min(due))
        .where(ActionItem.workstream_id.in_(ids), ActionItem.status.in_(OPEN_STATUSES),
               due <= bindparam("soon_end"))
        .group_by(ActionItem.workstream_id))
    return union_all(by_status, by_date)


def _item_counts(session: Session, workstream_ids: list[int], today: date,
                 rule: HealthRule) -> dict[int, _ItemCounts]:
    """Per workstream: its items, done, open, overdue, late, due soon, and the oldest
    overdue due date. One statement of two grouped parts: the items by status from the
    tally the triggers keep (`item_tally`: a few rows per workstream, however many items);
    then the date tests on the open items due by the end of the "due soon" window only,
    an index range of `ix_action_item_workstream_status`. Counting every item, and testing
    dates on done and later ones, is what made this grow with the items."""
    rows = read_rows(session, _item_counts_statement(), {
        "ids": workstream_ids, "today": today, "late_before": rule.late_before(today),
        "soon_end": today + timedelta(days=DUE_SOON_DAYS)})
    counts: dict[int, _ItemCounts] = {}
    for workstream_id, total, done, open_, overdue, late, soon, oldest in rows:
        c = counts.setdefault(workstream_id, _ItemCounts())
        c.total += total
        c.done += done
        c.open += open_
        c.overdue += overdue
        c.late += late
        c.due_soon += soon
        if overdue:
            c.oldest_due = _as_date(oldest)
    return counts


@cache
def _figures_statements(one: bool):
    """The workstreams' and their criteria weights' statements, built once (a statement
    built anew computes its cache key on every run): the program, and with `one` the
    workstream, are bind parameters."""
    listed = ((Workstream.program_id == bindparam("program_id"))
              & Workstream.archived_at.is_(None))
    if one:
        listed &= Workstream.id == bindparam("only")
    workstreams = (select(Workstream.id, Workstream.name, Workstream.gating, Workstream.rag)
                   .where(listed)
                   .order_by(Workstream.gating.desc(), Workstream.position, Workstream.id))
    criteria = (select(Criterion.workstream_id,
                       func.sum(Criterion.weight).label("total"),
                       func.sum(case((Criterion.done.is_(True), Criterion.weight),
                                     else_=0)).label("done"))
                .join(Workstream, Workstream.id == Criterion.workstream_id)
                .where(listed)
                .group_by(Criterion.workstream_id))
    return workstreams, criteria


def _figures_of(ws, i, c, today: date, rule: HealthRule) -> WorkstreamFigures:
    """One workstream's figures from its item counts `i` and criteria weights `c` (None
    when it has no items or no criteria)."""
    oldest = i.oldest_due if i else None
    return WorkstreamFigures(
        workstream_id=ws.id, name=ws.name, gating=ws.gating, rag=ws.rag,
        criteria_done_weight=int(c.done or 0) if c else 0,
        criteria_total_weight=int(c.total or 0) if c else 0,
        items_total=i.total if i else 0,
        items_done=i.done if i else 0,
        items_open=i.open if i else 0,
        items_overdue=i.overdue if i else 0,
        items_due_soon=i.due_soon if i else 0,
        oldest_overdue_days=(today - oldest).days if oldest else 0,
        items_late=i.late if i else 0, rule=rule,
    )


def workstream_figures(session: Session, program_id: int, today: date, *,
                       rule: HealthRule, only: int | None = None) -> list[WorkstreamFigures]:
    """Figures for every workstream of the program (archived ones left out), or for the
    one with id `only`, in three aggregate queries; health under `rule`
    (`HealthRule.of(program)`)."""
    workstreams_statement, criteria_statement = _figures_statements(only is not None)
    params = {"program_id": program_id, "only": only}
    workstreams = read_rows(session, workstreams_statement, params).all()
    items = _item_counts(session, [ws.id for ws in workstreams], today, rule)
    criteria = {row.workstream_id: row
                for row in read_rows(session, criteria_statement, params)}
    return [_figures_of(ws, items.get(ws.id), criteria.get(ws.id), today, rule)
            for ws in workstreams]


def _as_date(value) -> date | None:
    """SQLite hands MIN() over a date back as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class ItemRow:
    """The facts about one action item that readiness needs, as they stood on some day."""

    workstream_id: int | None
    status: str
    due_date: date | None = None


@dataclass(frozen=True)
class CriterionRow:
    workstream_id: int
    weight: int
    done: bool


def figures_from_rows(
    workstreams: list[tuple[int, str, bool, str]],
    items: list[ItemRow],
    criteria: list[CriterionRow],
    today: date,
    *,
    rule: HealthRule,
) -> list[WorkstreamFigures]:
    """The same figures as `workstream_figures`, from rows already in memory.

    `workstreams` are (id, name, gating, rag) in display order. The executive summary
    uses this to compute figures as they stood on a past day, from rows it rebuilt out
    of the audit log; the SQL version stays the one for the present.
    """
    counts: dict[int, dict] = {
        ws_id: {"total": 0, "done": 0, "open": 0, "overdue": 0, "late": 0, "due_soon": 0,
                "oldest": None,
                "c_total": 0, "c_done": 0}
        for ws_id, *_ in workstreams
    }
    soon = today + timedelta(days=DUE_SOON_DAYS)
    for item in items:
        c = counts.get(item.workstream_id)
        if c is None or item.status == "cancelled":
            continue
        c["total"] += 1
        if item.status == "done":
            c["done"] += 1
        if item.status in OPEN_STATUSES:
            c["open"] += 1
            if item.due_date is not None and item.due_date < today:
                c["overdue"] += 1
                c["late"] += rule.is_late(item.due_date, today)
                if c["oldest"] is None or item.due_date < c["oldest"]:
                    c["oldest"] = item.due_date
            elif item.due_date is not None and today <= item.due_date <= soon:
                c["due_soon"] += 1
    for criterion in criteria:
        c = counts.get(criterion.workstream_id)
        if c is None:
            continue
        c["c_total"] += criterion.weight
        if criterion.done:
            c["c_done"] += criterion.weight
    figures = []
    for ws_id, name, gating, rag in workstreams:
        c = counts[ws_id]
        figures.append(WorkstreamFigures(
            workstream_id=ws_id, name=name, gating=gating, rag=rag,
            criteria_done_weight=c["c_done"], criteria_total_weight=c["c_total"],
            items_total=c["total"], items_done=c["done"], items_open=c["open"],
            items_overdue=c["overdue"], items_due_soon=c["due_soon"],
            oldest_overdue_days=(today - c["oldest"]).days if c["oldest"] else 0,
            items_late=c["late"], rule=rule,
        ))
    return figures
