"""Meeting: an imported meeting note, kept whole so an import can be traced and redone."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

meeting_participant = sa.Table(
    "meeting_participant",
    db.metadata,
    sa.Column("meeting_id", sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("person_id", sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)


class Meeting(db.Model):
    __tablename__ = "meeting"
    __table_args__ = (sa.UniqueConstraint("title", "date", name="uq_meeting_title_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    # The note named no date (front matter, file name, first heading): it was dated on
    # the day of its first import, and is found again by its title alone.
    date_inferred: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    key_information: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The note as imported, read only to compare a re-import with it: not loaded with the
    # meeting (a list of items would carry it once per row).
    raw_text: Mapped[str] = mapped_column(sa.Text, deferred=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    participants = relationship("Person", secondary=meeting_participant, order_by="Person.name")
    decisions = relationship(
        "Decision", back_populates="meeting", order_by="Decision.position",
        cascade="all, delete-orphan",
    )
    action_items = relationship("ActionItem", back_populates="meeting")
