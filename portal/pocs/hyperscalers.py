"""Hyperscalers: add, rename and retire. Their priority (the rank) changes with
`sequencing.change_rank`; ranks stay a gapless 1..n, the first the highest priority.

Every change locks the hyperscaler rows first, as the board's moves do, so a rename or a
retirement never interleaves with a move of a POC into that column.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.audit.log import Actor, record
from portal.pocs.models import Customer, Hyperscaler, Poc, customer_hyperscaler
from portal.pocs.sequencing import SequencingError, StaleBoard, lock_columns
from portal.text import one_line

NAME_MAX = 50


def _clean_name(session: Session, name: str | None, exclude_id: int | None) -> str:
    name = one_line(name)  # a zero-width space does not make another "GCP"
    if not name:
        raise SequencingError("Give the hyperscaler a name.", "name")
    if len(name) > NAME_MAX:
        raise SequencingError(f"Keep the name within {NAME_MAX} characters.", "name")
    query = select(Hyperscaler.name).where(func.lower(Hyperscaler.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Hyperscaler.id != exclude_id)
    taken = session.scalar(query.limit(1))
    if taken is not None:
        raise SequencingError(f"There is a hyperscaler named {taken!r} already.", "name")
    return name


def _locked(session: Session) -> list[Hyperscaler]:
    """Every hyperscaler in rank order, read again under the lock."""
    lock_columns(session, session.scalars(select(Hyperscaler.id)).all())
    return list(session.scalars(select(Hyperscaler).order_by(Hyperscaler.rank, Hyperscaler.id)
                                .execution_options(populate_existing=True)))


def add_hyperscaler(session: Session, actor: Actor, name: str | None) -> Hyperscaler:
    """A new hyperscaler with the lowest priority (last on the board)."""
    scalers = _locked(session)
    name = _clean_name(session, name, None)
    scaler = Hyperscaler(name=name, rank=len(scalers) + 1)
    session.add(scaler)
    session.flush()
    record(session, actor, "hyperscaler", scaler.id, "create",
           summary=f"Added the hyperscaler {name} (priority {scaler.rank})",
           after={"name": name, "rank": scaler.rank})
    return scaler


def rename_hyperscaler(session: Session, actor: Actor, hyperscaler_id: int, name: str | None,
                       expected_name: str | None) -> Hyperscaler:
    """Renames; `expected_name` is the name the form showed (StaleBoard when it changed)."""
    scaler = next((s for s in _locked(session) if s.id == hyperscaler_id), None)
    if scaler is None:
        raise SequencingError("That hyperscaler no longer exists. Reload the page.",
                              "hyperscaler_id")
    if expected_name is not None and expected_name != scaler.name:
        raise StaleBoard(f"Someone else renamed {expected_name!r} to {scaler.name!r} "
                         "meanwhile; nothing was changed.")
    name = _clean_name(session, name, scaler.id)
    if name == scaler.name:
        return scaler
    before = scaler.name
    scaler.name = name
    session.flush()
    record(session, actor, "hyperscaler", scaler.id, "rename",
           summary=f"Renamed the hyperscaler {before} to {name}",
           before={"name": before}, after={"name": name})
    return scaler


def retire_hyperscaler(session: Session, actor: Actor, hyperscaler_id: int) -> str:
    """Removes a hyperscaler that has no POCs (SequencingError otherwise); the ones after
    it move up a place. Customers that considered it no longer list it. Returns its name."""
    scalers = _locked(session)
    scaler = next((s for s in scalers if s.id == hyperscaler_id), None)
    if scaler is None:
        raise SequencingError("That hyperscaler no longer exists. Reload the page.",
                              "hyperscaler_id")
    pocs = session.scalar(select(func.count()).select_from(Poc)
                          .where(Poc.hyperscaler_id == scaler.id))
    if pocs:
        raise SequencingError(
            f"{scaler.name} has {pocs} POC{'' if pocs == 1 else 's'}: move "
            f"{'it' if pocs == 1 else 'them'} to another hyperscaler on the board first; "
            "a hyperscaler is retired only when no POC is on it.", "hyperscaler_id")
    customers = list(session.scalars(
        select(Customer.name).join(customer_hyperscaler,
                                   customer_hyperscaler.c.customer_id == Customer.id)
        .where(customer_hyperscaler.c.hyperscaler_id == scaler.id).order_by(Customer.name)))
    name, rank = scaler.name, scaler.rank
    session.delete(scaler)
    session.flush()
    for position, other in enumerate((s for s in scalers if s.id != scaler.id), 1):
        other.rank = position
    record(session, actor, "hyperscaler", hyperscaler_id, "retire",
           summary=f"Retired the hyperscaler {name}",
           before={"name": name, "rank": rank, "customers": customers})
    session.flush()
    return name
