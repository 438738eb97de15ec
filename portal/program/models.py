"""The program, its milestones, its gating workstreams and their history."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.vocab import RAGS, check_in

if TYPE_CHECKING:
    from portal.people.models import Person


# The health rule's settings (portal.program.readiness.HealthRule): defaults and bounds.
GRACE_DAYS_DEFAULT = 2
GRACE_DAYS_MAX = 30
MIN_SHARE_DEFAULT = 10  # percent of a workstream's open items
MIN_SHARE_MAX = 100


class Program(db.Model):
    __tablename__ = "program"
    __table_args__ = (
        sa.CheckConstraint(f"health_grace_days BETWEEN 0 AND {GRACE_DAYS_MAX}",
                           name="health_grace_days"),
        sa.CheckConstraint(f"health_min_share BETWEEN 0 AND {MIN_SHARE_MAX}",
                           name="health_min_share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    target_date: Mapped[date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The IANA zone the program's days are counted in (portal.program.clock).
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # The health rule: days past its date before an overdue item counts as late, and the
    # percent of open items that must be late before a workstream turns amber.
    health_grace_days: Mapped[int] = mapped_column(default=GRACE_DAYS_DEFAULT)
    health_min_share: Mapped[int] = mapped_column(default=MIN_SHARE_DEFAULT)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="program", order_by="Milestone.due_date", cascade="all, delete-orphan"
    )
    workstreams: Mapped[list[Workstream]] = relationship(
        back_populates="program", order_by="Workstream.position", cascade="all, delete-orphan"
    )

    @property
    def active_workstreams(self) -> list[Workstream]:
        """The workstreams that are not archived, in list order."""
        return [ws for ws in self.workstreams if ws.archived_at is None]

    @property
    def archived_workstreams(self) -> list[Workstream]:
        return [ws for ws in self.workstreams if ws.archived_at is not None]


class Milestone(db.Model):
    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    due_date: Mapped[date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    program: Mapped[Program] = relationship(back_populates="milestones")


workstream_dependency = sa.Table(
    "workstream_dependency",
    db.metadata,
    sa.Column(
        "workstream_id",
        sa.ForeignKey("workstream.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "depends_on_id",
        sa.ForeignKey("workstream.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.CheckConstraint("workstream_id <> depends_on_id", name="not_self"),
)


class Workstream(db.Model):
    __tablename__ = "workstream"
    __table_args__ = (sa.CheckConstraint(check_in("rag", RAGS), name="rag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(sa.Text, default="")
    rag: Mapped[str] = mapped_column(sa.String(10), default="green")
    target_date: Mapped[date | None] = mapped_column(sa.Date)
    gating: Mapped[bool] = mapped_column(default=True)
    # Space-separated words the importer uses to suggest this workstream for an item.
    keywords: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # Set while archived: out of the lists, the figures, the summary and the importer's
    # suggestions; its items and history stay.
    archived_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    program: Mapped[Program] = relationship(back_populates="workstreams")
    lead: Mapped[Person | None] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="workstream", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    status_updates: Mapped[list[StatusUpdate]] = relationship(
        back_populates="workstream",
        order_by="StatusUpdate.created_at.desc()",
        cascade="all, delete-orphan",
    )
    depends_on: Mapped[list[Workstream]] = relationship(
        secondary=workstream_dependency,
        primaryjoin=lambda: Workstream.id == workstream_dependency.c.workstream_id,
        secondaryjoin=lambda: Workstream.id == workstream_dependency.c.depends_on_id,
        back_populates="blocks",
        order_by=lambda: Workstream.position,
    )
    blocks: Mapped[list[Workstream]] = relationship(
        secondary=workstream_dependency,
        primaryjoin=lambda: Workstream.id == workstream_dependency.c.depends_on_id,
        secondaryjoin=lambda: Workstream.id == workstream_dependency.c.workstream_id,
        back_populates="depends_on",
        order_by=lambda: Workstream.position,
    )

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def keyword_list(self) -> list[str]:
        return [word for word in self.keywords.split() if word]

    def __repr__(self) -> str:
        return f"<Workstream {self.id} {self.name!r}>"


class Criterion(db.Model):
    """An exit criterion of a workstream; the done ones, weighted, make its readiness."""

    __tablename__ = "criterion"
    __table_args__ = (sa.CheckConstraint("weight > 0", name="weight_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workstream_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workstream.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.String(500))
    done: Mapped[bool] = mapped_column(default=False)
    weight: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None]

    workstream: Mapped[Workstream] = relationship(back_populates="criteria")


class StatusUpdate(db.Model):
    """A dated, authored note that set a workstream's RAG status."""

    __tablename__ = "status_update"
    __table_args__ = (
        sa.CheckConstraint(check_in("rag", RAGS), name="rag"),
        sa.Index("ix_status_update_workstream_created", "workstream_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workstream_id: Mapped[int] = mapped_column(sa.ForeignKey("workstream.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    previous_rag: Mapped[str | None] = mapped_column(sa.String(10))
    rag: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workstream: Mapped[Workstream] = relationship(back_populates="status_updates")
    author = relationship("User")


class Decision(db.Model):
    """A decision taken in a meeting."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    decided_on: Mapped[date | None] = mapped_column(sa.Date)
    position: Mapped[int] = mapped_column(default=0)

    meeting = relationship("Meeting", back_populates="decisions")
