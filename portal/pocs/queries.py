"""Read-side queries of the POC area: customers, a POC or customer with what its page shows,
the hyperscalers with their POC counts, and the choices of the link forms."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.actions.models import ActionItem
from portal.pocs.models import Customer, Hyperscaler, Poc, poc_action_item
from portal.vocab import OPEN_STATUSES


def customers_by_name(session: Session) -> list[Customer]:
    """Every customer by name, for a select."""
    return list(session.scalars(select(Customer).order_by(Customer.name)))


def _with_customer_page(stmt):
    return stmt.options(joinedload(Customer.account_owner), selectinload(Customer.hyperscalers),
                        selectinload(Customer.pocs).joinedload(Poc.hyperscaler))


def customers_page(session: Session) -> list[Customer]:
    """Every customer by name with its account owner, hyperscalers and POCs."""
    return list(session.scalars(_with_customer_page(select(Customer).order_by(Customer.name))))


def customer(session: Session, customer_id: int) -> Customer | None:
    """A customer with its account owner, hyperscalers and POCs."""
    return session.scalar(_with_customer_page(select(Customer)
                                              .where(Customer.id == customer_id)))


def poc(session: Session, poc_id: int) -> Poc | None:
    """A POC with its customer, hyperscaler, owner and linked action items."""
    return session.scalar(
        select(Poc).where(Poc.id == poc_id)
        .options(joinedload(Poc.customer), joinedload(Poc.hyperscaler), joinedload(Poc.owner),
                 selectinload(Poc.action_items)))


def pocs_of_item(session: Session, item_id: int) -> list[Poc]:
    """The POCs an action item is linked to, with their customers and hyperscalers."""
    return list(session.scalars(
        select(Poc).join(poc_action_item, poc_action_item.c.poc_id == Poc.id)
        .where(poc_action_item.c.action_item_id == item_id)
        .options(joinedload(Poc.customer), joinedload(Poc.hyperscaler))
        .order_by(Poc.id)))


def hyperscalers_with_counts(session: Session) -> list[tuple[Hyperscaler, int]]:
    """The hyperscalers in priority order, each with its number of POCs (one statement)."""
    return [(scaler, count) for scaler, count in session.execute(
        select(Hyperscaler, func.count(Poc.id))
        .outerjoin(Poc, Poc.hyperscaler_id == Hyperscaler.id)
        .group_by(Hyperscaler.id).order_by(Hyperscaler.rank, Hyperscaler.id))]


def poc_choices(session: Session, exclude: set[int] = frozenset()) -> list[tuple[int, str]]:
    """The program's POCs by name ("Customer · Hyperscaler"), in board order: hyperscalers
    by priority, each top to bottom (one query)."""
    rows = session.execute(
        select(Poc.id, Customer.name, Hyperscaler.name)
        .join(Customer, Customer.id == Poc.customer_id)
        .join(Hyperscaler, Hyperscaler.id == Poc.hyperscaler_id)
        .order_by(Hyperscaler.rank, Hyperscaler.id, Poc.position, Poc.id))
    return [(pid, f"{customer} · {scaler}") for pid, customer, scaler in rows
            if pid not in exclude]


@dataclass(frozen=True)
class ItemChoice:
    id: int
    title: str
    status: str


def item_choices(session: Session, poc: Poc) -> dict[str, list[ItemChoice]]:
    """The action items a POC can link, by number and title: open ones first, then the
    finished ones; the ones linked already are left out (one query)."""
    linked = {item.id for item in poc.action_items}
    groups: dict[str, list[ItemChoice]] = {"Open": [], "Done or cancelled": []}
    for item_id, title, status in session.execute(
            select(ActionItem.id, ActionItem.title, ActionItem.status)
            .order_by(ActionItem.id)):
        if item_id not in linked:
            group = "Open" if status in OPEN_STATUSES else "Done or cancelled"
            groups[group].append(ItemChoice(item_id, title, status))
    return {name: items for name, items in groups.items() if items}
