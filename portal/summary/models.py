"""Snapshot: a day's readiness figures, for the trend charts and as-of views."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class Snapshot(db.Model):
    __tablename__ = "snapshot"
    __table_args__ = (
        # scope is "program" for the whole program, "workstream:<id>" for one workstream.
        sa.UniqueConstraint("taken_on", "scope", name="uq_snapshot_taken_on_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_on: Mapped[date] = mapped_column(sa.Date, index=True)
    scope: Mapped[str] = mapped_column(sa.String(40))
    workstream_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("workstream.id", ondelete="CASCADE"), index=True
    )
    readiness: Mapped[float] = mapped_column(default=0.0)
    rag: Mapped[str | None] = mapped_column(sa.String(10))
    open_items: Mapped[int] = mapped_column(default=0)
    overdue_items: Mapped[int] = mapped_column(default=0)
    done_items: Mapped[int] = mapped_column(default=0)
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
