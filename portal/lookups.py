"""Lookups every area shares: the people, workstreams and hyperscalers offered by selects
(one order everywhere), and the names shown for ids in audit values. Plain functions over
a session."""
from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from portal.people.models import Person
from portal.pocs.models import Hyperscaler
from portal.program.models import Workstream


def people_for_select(session: Session) -> list:
    """Every person's id, name and kind (teams are marked), by kind and name: rows, not
    Person objects, since a select of hundreds of people needs nothing else."""
    return list(session.execute(
        select(Person.id, Person.name, Person.kind).order_by(Person.kind, Person.name)))


def hyperscalers_for_select(session: Session) -> list[Hyperscaler]:
    """Every hyperscaler, in the program's priority order."""
    return list(session.scalars(select(Hyperscaler).order_by(Hyperscaler.rank, Hyperscaler.id)))


_PEOPLE_BY_IDS = (select(Person).where(Person.id.in_(bindparam("ids", expanding=True)))
                  .order_by(Person.kind, Person.name))  # built once: most pages ask


def people_by_ids(session: Session, ids) -> list[Person]:
    """The people among `ids` (the current choices of owner selects that load everyone
    else on demand), by name: one statement, none when no id is given (a list with no
    owner chosen)."""
    wanted = sorted({i for i in ids if isinstance(i, int)})
    return list(session.scalars(_PEOPLE_BY_IDS, {"ids": wanted})) if wanted else []


def workstreams_for_select(session: Session, *, archived: bool = False,
                           keep: int | None = None) -> list[Workstream]:
    """The workstreams to choose from: the active ones, then the archived ones when
    `archived` (to find their items) or when one of them is `keep` (an item's current one)."""
    query = select(Workstream).order_by(Workstream.archived_at.is_not(None),
                                        Workstream.position, Workstream.name)
    if not archived:
        query = query.where(or_(Workstream.archived_at.is_(None), Workstream.id == keep))
    return list(session.scalars(query))


_WORKSTREAMS_BY_IDS = (select(Workstream).where(Workstream.id.in_(bindparam("ids", expanding=True)))
                       .order_by(Workstream.position, Workstream.name))


def workstreams_by_ids(session: Session, ids) -> list[Workstream]:
    """The workstreams among `ids` (see people_by_ids): one statement, none without ids."""
    wanted = sorted({i for i in ids if isinstance(i, int)})
    return list(session.scalars(_WORKSTREAMS_BY_IDS, {"ids": wanted})) if wanted else []


def label_maps(session: Session, dicts) -> dict[str, dict[int, str]]:
    """Names for the owner and workstream ids found in audit before/after dicts: two
    statements at most, whatever the number of events."""
    person_ids: set[int] = set()
    ws_ids: set[int] = set()
    for values in dicts:
        for key, value in (values or {}).items():
            if isinstance(value, int) and key in ("owner_id", "lead_id", "person_id"):
                person_ids.add(value)
            elif isinstance(value, int) and key == "workstream_id":
                ws_ids.add(value)
    # Always both statements, so a page's statement count does not depend on its data.
    people = dict(session.execute(select(Person.id, Person.name)
                                  .where(Person.id.in_(person_ids))).all())
    streams = dict(session.execute(select(Workstream.id, Workstream.name)
                                   .where(Workstream.id.in_(ws_ids))).all())
    return {"owner_id": people, "lead_id": people, "person_id": people,
            "workstream_id": streams}
