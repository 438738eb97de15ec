"""Read-side helpers for the program shared by several pages and commands."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.pocs.models import Hyperscaler, Poc
from portal.program.models import Program, Workstream


@cache
def _current_program_statement(milestones: bool, workstreams: bool):
    """Built once per shape: every page runs it, and a statement built anew computes its
    cache key (its loader options' included) on every run, a third of the time it takes."""
    options = []
    if milestones:
        options.append(selectinload(Program.milestones))
    if workstreams:
        options.append(selectinload(Program.workstreams).joinedload(Workstream.lead))
    return select(Program).options(*options).order_by(Program.id).limit(1)


def current_program(session: Session, *, milestones: bool = True,
                    workstreams: bool = True) -> Program | None:
    """The program the portal tracks (the first one; the portal runs one program), with its
    milestones and its workstreams and their leads (three statements; the leads joined to
    the workstreams, a fourth would cost more than the join). A page that reads what it
    shows of them its own way leaves them out: loading 50 workstreams and their leads as
    objects costs ten times the program's row."""
    return session.scalar(_current_program_statement(milestones, workstreams))


@dataclass(frozen=True)
class Overview:
    """The program with everything the setup gives it, for `flask program show`."""

    program: Program
    hyperscalers: list[tuple[Hyperscaler, int]]  # with their number of POCs

    @property
    def milestones(self):
        return self.program.milestones

    @property
    def workstreams(self) -> list[Workstream]:
        return self.program.active_workstreams

    @property
    def archived(self) -> list[Workstream]:
        return self.program.archived_workstreams


def overview(session: Session) -> Overview | None:
    """The program, its milestones, workstreams and hyperscalers (four statements)."""
    program = current_program(session)
    if program is None:
        return None
    scalers = [(scaler, count) for scaler, count in session.execute(
        select(Hyperscaler, func.count(Poc.id))
        .outerjoin(Poc, Poc.hyperscaler_id == Hyperscaler.id)
        .group_by(Hyperscaler.id).order_by(Hyperscaler.rank, Hyperscaler.id))]
    return Overview(program, scalers)
