"""Small factories for the POC tests (hyperscalers, customers, POCs); no tests here."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from portal.extensions import db
from portal.pocs.models import Customer, Hyperscaler, Poc

_seq = itertools.count(1)


def make_scalers(*names: str) -> list[Hyperscaler]:
    scalers = [Hyperscaler(name=name, rank=rank) for rank, name in enumerate(names, 1)]
    db.session.add_all(scalers)
    db.session.flush()
    return scalers


def make_customer(name: str | None = None, **fields) -> Customer:
    customer = Customer(name=name or f"Customer {next(_seq)}", **fields)
    db.session.add(customer)
    db.session.flush()
    return customer


def make_poc(scaler: Hyperscaler, customer: Customer | None = None, **fields) -> Poc:
    customer = customer or make_customer()
    if "position" not in fields:
        last = db.session.scalar(select(db.func.max(Poc.position))
                                 .where(Poc.hyperscaler_id == scaler.id))
        fields["position"] = (last or 0) + 1
    poc = Poc(customer=customer, hyperscaler=scaler, **fields)
    db.session.add(poc)
    db.session.flush()
    return poc


def columns(session=None) -> dict[str, list[tuple[str, int]]]:
    """{hyperscaler name: [(customer name, position), ...]} straight from the database."""
    session = session or db.session
    rows = session.execute(
        select(Hyperscaler.name, Customer.name, Poc.position)
        .join(Poc, Poc.hyperscaler_id == Hyperscaler.id)
        .join(Customer, Customer.id == Poc.customer_id)
        .order_by(Hyperscaler.rank, Poc.position, Poc.id)
    ).all()
    result: dict[str, list[tuple[str, int]]] = {}
    for scaler, customer, position in rows:
        result.setdefault(scaler, []).append((customer, position))
    return result


def assert_gapless(session=None) -> None:
    """Every column's positions are exactly 1..n."""
    session = session or db.session
    rows = session.execute(select(Poc.hyperscaler_id, Poc.position)).all()
    by_column: dict[int, list[int]] = {}
    for hid, position in rows:
        by_column.setdefault(hid, []).append(position)
    for hid, positions in by_column.items():
        assert sorted(positions) == list(range(1, len(positions) + 1)), (hid, sorted(positions))


def orders(session=None) -> dict[int, str]:
    """What a client sends as `expected`, read now: the board token's column digests."""
    from portal.pocs.sequencing import board, parse_token

    return parse_token(board(session or db.session).token)
