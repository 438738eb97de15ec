"""Read-side helpers for the program shared by several pages."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.program.models import Program, Workstream


def current_program(session: Session) -> Program | None:
    """The program the portal tracks (the first one; the portal runs one program)."""
    return session.scalar(
        select(Program)
        .options(
            selectinload(Program.milestones),
            selectinload(Program.workstreams).selectinload(Workstream.lead),
        )
        .order_by(Program.id)
        .limit(1)
    )
