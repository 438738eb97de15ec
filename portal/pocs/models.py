"""Hyperscalers, target customers and their proof-of-concepts, in sequence."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.vocab import OFFER_TYPES, POC_STAGES, check_in

if TYPE_CHECKING:
    from portal.people.models import Person


class Hyperscaler(db.Model):
    __tablename__ = "hyperscaler"
    __table_args__ = (sa.CheckConstraint("rank > 0", name="rank_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    rank: Mapped[int] = mapped_column(index=True)

    pocs: Mapped[list[Poc]] = relationship(back_populates="hyperscaler", order_by="Poc.position")


customer_hyperscaler = sa.Table(
    "customer_hyperscaler",
    db.metadata,
    sa.Column("customer_id", sa.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "hyperscaler_id", sa.ForeignKey("hyperscaler.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Customer(db.Model):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    segment: Mapped[str] = mapped_column(sa.String(120), default="")
    account_owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    account_owner: Mapped[Person | None] = relationship()
    hyperscalers: Mapped[list[Hyperscaler]] = relationship(
        secondary=customer_hyperscaler, order_by="Hyperscaler.rank"
    )
    pocs: Mapped[list[Poc]] = relationship(back_populates="customer")


poc_action_item = sa.Table(
    "poc_action_item",
    db.metadata,
    sa.Column("poc_id", sa.ForeignKey("poc.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "action_item_id", sa.ForeignKey("action_item.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Poc(db.Model):
    """A customer's proof-of-concept on one hyperscaler, at a position in its sequence."""

    __tablename__ = "poc"
    __table_args__ = (
        sa.CheckConstraint(check_in("stage", POC_STAGES), name="stage"),
        sa.CheckConstraint(check_in("offer_type", OFFER_TYPES), name="offer_type"),
        sa.CheckConstraint("position > 0", name="position_positive"),
        sa.CheckConstraint(
            "planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start",
            name="dates_ordered",
        ),
        sa.Index("ix_poc_hyperscaler_position", "hyperscaler_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    hyperscaler_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hyperscaler.id", ondelete="RESTRICT")
    )
    position: Mapped[int]
    stage: Mapped[str] = mapped_column(sa.String(20), default="candidate")
    planned_start: Mapped[date | None] = mapped_column(sa.Date)
    planned_end: Mapped[date | None] = mapped_column(sa.Date)
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    offer_type: Mapped[str] = mapped_column(sa.String(10), default="private")
    success_criteria: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    customer: Mapped[Customer] = relationship(back_populates="pocs")
    hyperscaler: Mapped[Hyperscaler] = relationship(back_populates="pocs")
    owner: Mapped[Person | None] = relationship()
    action_items = relationship("ActionItem", secondary=poc_action_item)
