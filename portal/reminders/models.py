"""The outbox: reminder points (one per item, kind, due date and recipient) and the
messages that carry them. Unique keys make sending exactly-once across runners."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.vocab import OUTBOX_STATES, check_in

# Settings under this prefix are the scheduler's records of its runs (portal.observability).
LAST_RUN_PREFIX = "scheduler.last_run."


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __page_neutral__ = True  # shown only on the outbox pages, which are not kept
    __table_args__ = (
        sa.CheckConstraint(check_in("state", OUTBOX_STATES), name="state"),
        sa.Index("ix_outbox_message_state_next_attempt", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # For a digest: "digest:<person id>:<local date>"; inserted "on conflict do nothing".
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(30), default="digest")
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    text_body: Mapped[str] = mapped_column(sa.Text, default="")
    html_body: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]

    points: Mapped[list[ReminderPoint]] = relationship(back_populates="message")


class ReminderPoint(db.Model):
    """One reminder owed: this item, of this kind, for this due date, to this person."""

    __tablename__ = "reminder_point"
    __page_neutral__ = True
    __table_args__ = (
        sa.UniqueConstraint(
            "action_item_id", "kind", "due_date", "person_id", name="uq_reminder_point_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_item.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    due_date: Mapped[date] = mapped_column(sa.Date)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[OutboxMessage | None] = relationship(back_populates="points")
    action_item = relationship("ActionItem")


class Setting(db.Model):
    """A setting an admin changes in the portal (reminder points, for one)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[dict | list] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def page_neutral(self, change: str) -> bool:
        """A scheduler's run record changes no kept page (portal.pagecache)."""
        return self.key.startswith(LAST_RUN_PREFIX)
