"""Domain functions for workstreams: create and edit, archive, the RAG history, exit
criteria and dependencies. They take a session, an `Actor` and plain values, add their
audit events to the session and leave the commit to the caller."""
from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

from portal.audit.conflicts import ConflictView, changes_since
from portal.audit.log import Actor, diff, record, snapshot
from portal.clock import utcnow
from portal.errors import Conflict, DomainError
from portal.extensions import read_rows
from portal.people.models import Person
from portal.program.models import (
    Criterion,
    Program,
    StatusUpdate,
    Workstream,
    workstream_dependency,
)
from portal.text import keyword_text
from portal.vocab import RAGS

NAME_MAX = 120
DESCRIPTION_MAX = 5000
KEYWORDS_MAX = 1000
NOTE_MAX = 2000
CRITERION_MAX = 500
WEIGHT_MAX = 100
NOTE_REQUIRED_FOR = ("amber", "red")

FIELDS = ("name", "lead_id", "description", "target_date", "gating", "keywords")
# The edit form's fields, in its order, with the labels a conflict shows them under.
FORM_FIELDS = {"name": "Name", "lead_id": "Lead", "description": "Description",
               "target_date": "Target date", "gating": "Gates readiness",
               "keywords": "Keywords", "depends_on": "Blocked by"}


class WorkstreamError(DomainError):
    """A change to a workstream that cannot be made."""


class StaleWorkstream(WorkstreamError, Conflict):
    """The edit started from an older version than the one stored."""

    def __init__(self, workstream: Workstream, version: int):
        super().__init__(
            f"{workstream.name} was changed by someone else since you opened it "
            f"(your version {version}, now {workstream.version}). Nothing was saved; "
            "reload to see the current values and make your change again."
        )
        self.workstream = workstream


def form_values(ws: Workstream) -> dict[str, Any]:
    """The stored values of the edit form's fields, as the audit trail records them."""
    return snapshot(ws, FIELDS) | {"depends_on": sorted(d.id for d in ws.depends_on)}


def _bump(ws: Workstream) -> int:
    """Moves the version on explicitly, so a change of dependencies alone (another table)
    also makes older forms stale; returns the version the flush writes. The version
    column's check still compares against the version read."""
    ws.version = (ws.version or 0) + 1
    return ws.version


def _clean_name(session: Session, program_id: int, name: str, exclude_id: int | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise WorkstreamError("Give the workstream a name.", "name")
    if len(name) > NAME_MAX:
        raise WorkstreamError(f"Keep the name within {NAME_MAX} characters.", "name")
    query = select(Workstream.archived_at).where(
        Workstream.program_id == program_id, func.lower(Workstream.name) == name.lower()
    )
    if exclude_id is not None:
        query = query.where(Workstream.id != exclude_id)
    taken = session.execute(query.limit(1)).first()
    if taken is not None and taken.archived_at is not None:
        raise WorkstreamError(f"An archived workstream is named {name!r}: unarchive it, or "
                              "choose another name.", "name")
    if taken is not None:
        raise WorkstreamError(f"A workstream named {name!r} already exists.", "name")
    return name


def _check_lead(session: Session, lead_id: int | None) -> int | None:
    if lead_id is None:
        return None
    if session.get(Person, lead_id) is None:
        raise WorkstreamError("That lead is not a known person; choose one from the list.",
                              "lead_id")
    return lead_id


def _check_text(value: str | None, limit: int, field: str, what: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise WorkstreamError(f"Keep the {what} within {limit} characters.", field)
    return value


def create_workstream(
    session: Session, actor: Actor, program: Program, *, name: str, lead_id: int | None = None,
    description: str = "", target_date: date | None = None, gating: bool = True,
    keywords: str = "", depends_on_ids: list[int] | None = None,
) -> Workstream:
    """A new workstream at the end of the program's list."""
    name = _clean_name(session, program.id, name, None)
    position = session.scalar(
        select(func.coalesce(func.max(Workstream.position), 0))
        .where(Workstream.program_id == program.id)
    ) + 1
    ws = Workstream(
        program_id=program.id, name=name, lead_id=_check_lead(session, lead_id),
        description=_check_text(description, DESCRIPTION_MAX, "description", "description"),
        target_date=target_date, gating=bool(gating),
        keywords=keyword_text(_check_text(keywords, KEYWORDS_MAX, "keywords", "keywords")),
        position=position, rag="green",
    )
    session.add(ws)
    session.flush()
    set_dependencies(session, actor, ws, depends_on_ids or [], audit=False)
    record(session, actor, "workstream", ws.id, "create", summary=f"Created workstream {ws.name}",
           after=snapshot(ws, FIELDS) | {"depends_on": sorted(depends_on_ids or [])},
           workstream_id=ws.id)
    return ws


def check_version(ws: Workstream, version: int | None) -> None:
    """Raises StaleWorkstream unless `version` is the stored one."""
    if version is None or version != ws.version:
        raise StaleWorkstream(ws, version if version is not None else 0)


def update_workstream(
    session: Session, actor: Actor, ws: Workstream, *, version: int | None, name: str,
    lead_id: int | None, description: str, target_date: date | None, gating: bool,
    keywords: str, depends_on_ids: list[int] | None = None,
) -> bool:
    """Saves the edit form; refuses a stale version. Returns whether anything changed."""
    check_version(ws, version)
    before = form_values(ws)
    # No flush before the end, so the row is written once and its version moves by one.
    with session.no_autoflush:
        ws.name = _clean_name(session, ws.program_id, name, ws.id)
        ws.lead_id = _check_lead(session, lead_id)
        ws.description = _check_text(description, DESCRIPTION_MAX, "description", "description")
        ws.target_date = target_date
        ws.gating = bool(gating)
        ws.keywords = keyword_text(_check_text(keywords, KEYWORDS_MAX, "keywords", "keywords"))
        if depends_on_ids is not None:
            set_dependencies(session, actor, ws, depends_on_ids, audit=False)
    after = form_values(ws)
    old, new = diff(before, after)
    if not new:
        return False
    record(session, actor, "workstream", ws.id, "update",
           summary=f"Edited workstream {ws.name}: {', '.join(sorted(new))}",
           before=old, after=new | {"version": _bump(ws)}, workstream_id=ws.id)
    session.flush()
    return True


def conflict_details(session: Session, ws_id: int,
                     expected_version: int | None) -> ConflictView:
    """The workstream as stored now and the audit events that moved it past
    `expected_version`."""
    ws = session.get(Workstream, ws_id, populate_existing=True)
    if ws is None:
        raise LookupError(f"No workstream {ws_id}.")
    events = changes_since(session, "workstream", ws_id, expected_version, ws.version)
    return ConflictView(record=ws, current=form_values(ws), events=events)


# --- archive --------------------------------------------------------------------------------

def archive_workstream(session: Session, actor: Actor, ws: Workstream) -> None:
    """Takes a workstream out of the lists, the figures, the summary and the importer's
    suggestions; its items, criteria and history stay. An archived workstream blocks and
    waits for nothing: its dependencies go (the audit event keeps them)."""
    if ws.archived_at is not None:
        raise WorkstreamError(f"{ws.name} is archived already.")
    depends_on = sorted(d.id for d in ws.depends_on)
    blocks = sorted(b.id for b in ws.blocks)
    ws.depends_on = []
    ws.blocks = []
    ws.archived_at = utcnow()
    record(session, actor, "workstream", ws.id, "archive", summary=f"Archived workstream "
           f"{ws.name}", before={"archived": False, "depends_on": depends_on, "blocks": blocks},
           after={"archived": True, "version": _bump(ws)}, workstream_id=ws.id)
    session.flush()


def unarchive_workstream(session: Session, actor: Actor, ws: Workstream) -> None:
    """Brings an archived workstream back, at its old place in the lists."""
    if ws.archived_at is None:
        raise WorkstreamError(f"{ws.name} is not archived.")
    ws.archived_at = None
    record(session, actor, "workstream", ws.id, "unarchive",
           summary=f"Unarchived workstream {ws.name}", before={"archived": True},
           after={"archived": False, "version": _bump(ws)}, workstream_id=ws.id)
    session.flush()


# --- dependencies -----------------------------------------------------------------------

class Neighbours(NamedTuple):
    """The workstreams one depends on and those it blocks, each a row (id, name, rag), in
    the program's order."""

    depends_on: list
    blocks: list


@cache
def _neighbours_statement():
    """`neighbours`' statement, built once (the workstream a bind parameter)."""
    link, ws = workstream_dependency.c, bindparam("workstream_id")

    def side(kind: str, this, other):
        return (select(literal(kind).label("kind"), Workstream.id, Workstream.name,
                       Workstream.rag, Workstream.position)
                .join(workstream_dependency, other == Workstream.id).where(this == ws))

    both = union_all(side("depends_on", link.workstream_id, link.depends_on_id),
                     side("blocks", link.depends_on_id, link.workstream_id)).subquery()
    return select(both).order_by(both.c.position, both.c.id)


def neighbours(session: Session, workstream_id: int) -> Neighbours:
    """What a workstream's page shows of its dependencies, both ways, in one statement of
    rows (loading both sides as objects took two, and three times as long)."""
    found = Neighbours([], [])
    for row in read_rows(session, _neighbours_statement(), {"workstream_id": workstream_id}):
        getattr(found, row.kind).append(row)
    return found


def dependency_graph(session: Session, program_id: int) -> dict[int, set[int]]:
    """workstream id -> the ids it depends on, for the whole program."""
    rows = session.execute(
        select(workstream_dependency.c.workstream_id, workstream_dependency.c.depends_on_id)
        .join(Workstream, Workstream.id == workstream_dependency.c.workstream_id)
        .where(Workstream.program_id == program_id)
    ).all()
    graph: dict[int, set[int]] = {}
    for source, target in rows:
        graph.setdefault(source, set()).add(target)
    return graph


def _path(graph: dict[int, set[int]], start: int, goal: int) -> list[int] | None:
    """A dependency path from `start` to `goal`, if there is one (depth first)."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        if node in seen:
            continue
        seen.add(node)
        for nxt in sorted(graph.get(node, ())):
            stack.append((nxt, path + [nxt]))
    return None


def set_dependencies(
    session: Session, actor: Actor, ws: Workstream, depends_on_ids: list[int], *, audit: bool = True
) -> None:
    """Sets what `ws` is blocked by; refuses itself, strangers and cycles, naming the loop."""
    wanted = sorted(set(depends_on_ids))
    if ws.id in wanted:
        raise WorkstreamError("A workstream cannot depend on itself.", "depends_on")
    others = {
        w.id: w for w in session.scalars(
            select(Workstream).where(Workstream.program_id == ws.program_id)
        )
    }
    unknown = [i for i in wanted if i not in others]
    if unknown:
        raise WorkstreamError("Choose dependencies from the program's workstreams.", "depends_on")
    graph = dependency_graph(session, ws.program_id)
    graph[ws.id] = set(wanted)
    for target in wanted:
        loop = _path(graph, target, ws.id)
        if loop:
            names = " → ".join(others[i].name for i in [ws.id, *loop])
            raise WorkstreamError(
                f"That would make a cycle: {names}. Remove one of these dependencies first.",
                "depends_on",
            )
    before = sorted(d.id for d in ws.depends_on)
    ws.depends_on = [others[i] for i in wanted]
    if audit and before != wanted:
        record(session, actor, "workstream", ws.id, "dependencies",
               summary=f"Dependencies of {ws.name} set to "
                       f"{', '.join(others[i].name for i in wanted) or 'none'}",
               before={"depends_on": before},
               after={"depends_on": wanted, "version": _bump(ws)}, workstream_id=ws.id)


# --- RAG status ---------------------------------------------------------------------------

def set_rag(session: Session, actor: Actor, ws: Workstream, rag: str,
            note: str = "") -> StatusUpdate:
    """Records the owner-reported RAG; amber and red need a note saying why."""
    if rag not in RAGS:
        raise WorkstreamError(f"Choose one of {', '.join(RAGS)}.", "rag")
    note = _check_text(note, NOTE_MAX, "note", "note")
    if rag in NOTE_REQUIRED_FOR and not note:
        raise WorkstreamError(f"Say why the status is {rag}: a note is required for amber and red.",
                              "note")
    if rag == ws.rag and not note:
        raise WorkstreamError(f"The status is already {rag}; add a note to record an update.",
                              "note")
    update = StatusUpdate(workstream=ws, author_id=actor.user_id, previous_rag=ws.rag, rag=rag,
                          note=note, created_at=utcnow())
    session.add(update)
    previous = ws.rag
    ws.rag = rag
    after = {"rag": rag, "note": note}
    if rag != previous:  # a note alone leaves the workstream row (and its version) as it is
        after["version"] = _bump(ws)
    record(session, actor, "workstream", ws.id, "status",
           summary=f"{ws.name}: {previous} → {rag}" + (f" ({note[:200]})" if note else ""),
           before={"rag": previous}, after=after, workstream_id=ws.id)
    session.flush()
    return update


# --- exit criteria ------------------------------------------------------------------------

def _criterion(session: Session, ws: Workstream, criterion_id: int) -> Criterion:
    criterion = session.get(Criterion, criterion_id)
    if criterion is None or criterion.workstream_id != ws.id:
        raise LookupError(f"No exit criterion {criterion_id} in {ws.name}.")
    return criterion


def add_criterion(session: Session, actor: Actor, ws: Workstream, text: str,
                  weight: int = 1) -> Criterion:
    """A new exit criterion at the end of the list."""
    text = " ".join((text or "").split())
    if not text:
        raise WorkstreamError("Describe the exit criterion.", "text")
    if len(text) > CRITERION_MAX:
        raise WorkstreamError(f"Keep it within {CRITERION_MAX} characters.", "text")
    if weight is None or not 1 <= weight <= WEIGHT_MAX:
        raise WorkstreamError(f"The weight is a whole number from 1 to {WEIGHT_MAX}.", "weight")
    position = session.scalar(
        select(func.coalesce(func.max(Criterion.position), 0))
        .where(Criterion.workstream_id == ws.id)
    ) + 1
    criterion = Criterion(workstream_id=ws.id, text=text, weight=weight, position=position)
    session.add(criterion)
    session.flush()
    record(session, actor, "criterion", criterion.id, "create",
           summary=f"{ws.name}: added exit criterion {text[:200]!r}",
           after={"text": text, "weight": weight}, workstream_id=ws.id)
    return criterion


def set_criterion_done(session: Session, actor: Actor, ws: Workstream, criterion_id: int,
                       done: bool) -> Criterion:
    """Ticks or unticks a criterion (idempotent: the wanted state, not a flip)."""
    criterion = _criterion(session, ws, criterion_id)
    if criterion.done != done:
        criterion.done = done
        criterion.done_at = utcnow() if done else None
        record(session, actor, "criterion", criterion.id, "tick" if done else "untick",
               summary=f"{ws.name}: {'met' if done else 'reopened'} {criterion.text[:200]!r}",
               before={"done": not done}, after={"done": done}, workstream_id=ws.id)
        session.flush()
    return criterion


def move_criterion(session: Session, actor: Actor, ws: Workstream, criterion_id: int,
                   direction: str) -> None:
    """Moves a criterion one place up or down; the positions are renumbered 1..n."""
    if direction not in ("up", "down"):
        raise WorkstreamError("Move a criterion up or down.", "direction")
    criterion = _criterion(session, ws, criterion_id)
    ordered = list(session.scalars(
        select(Criterion).where(Criterion.workstream_id == ws.id)
        .order_by(Criterion.position, Criterion.id)
    ))
    index = ordered.index(criterion)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, 1):
        item.position = position
    record(session, actor, "criterion", criterion.id, "move",
           summary=f"{ws.name}: moved {criterion.text[:200]!r} {direction}",
           after={"position": criterion.position}, workstream_id=ws.id)
    session.flush()


def delete_criterion(session: Session, actor: Actor, ws: Workstream, criterion_id: int) -> None:
    criterion = _criterion(session, ws, criterion_id)
    record(session, actor, "criterion", criterion.id, "delete",
           summary=f"{ws.name}: removed exit criterion {criterion.text[:200]!r}",
           before={"text": criterion.text, "done": criterion.done, "weight": criterion.weight},
           workstream_id=ws.id)
    session.delete(criterion)
    session.flush()
