"""Person: someone, or some team, that owns things and receives mail."""
from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.vocab import PERSON_KINDS, check_in


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class Person(db.Model):
    __tablename__ = "person"
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", PERSON_KINDS), name="kind"),
        sa.CheckConstraint("send_hour >= 0 AND send_hour <= 23", name="send_hour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # Case- and accent-folded name, for matching owners in imported notes.
    name_key: Mapped[str] = mapped_column(sa.String(120), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="person")
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    send_hour: Mapped[int] = mapped_column(default=8)
    weekdays_only: Mapped[bool] = mapped_column(default=False)
    overdue_only: Mapped[bool] = mapped_column(default=False)
    pause_from: Mapped[date | None] = mapped_column(sa.Date)
    pause_until: Mapped[date | None] = mapped_column(sa.Date)
    # Unsubscribed from reminder mails (from a mail's link or by a lead); nothing is sent.
    reminders_off: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    calendar_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_calendar_token
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The version of the details a lead edits (name, email, kind, time zone): a details
    # form opened at an older one is refused (`people.service.update_person`). The
    # person's own reminder settings do not move it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    aliases: Mapped[list[PersonAlias]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonAlias.alias"
    )

    @property
    def needs_email(self) -> bool:
        return not self.email

    @property
    def is_team(self) -> bool:
        return self.kind == "team"

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.name!r}>"


class PersonAlias(db.Model):
    """Another spelling of a person's name seen in notes (`Timo Pervane Pervane`)."""

    __tablename__ = "person_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(sa.String(120))
    alias_key: Mapped[str] = mapped_column(sa.String(120), unique=True)

    person: Mapped[Person] = relationship(back_populates="aliases")
