"""POC sequencing: the board, reordering, the sequencing checks and the pipeline.

Plain functions over a session; the caller commits. Positions inside a hyperscaler's
column are always a gapless 1..n.

Concurrency: every change to a column's order first locks the hyperscaler rows of the
columns it touches (``SELECT ... FOR UPDATE`` on PostgreSQL; a no-op ``UPDATE`` on SQLite,
which takes the database's single write lock), then re-reads the columns and compares
them with the order the client saw. Two leads reordering at once are serialised by the
lock; the second finds the order changed and gets `StaleBoard` (409) instead of writing
over the first one's move.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from portal.audit.log import Actor, record
from portal.errors import Conflict, DomainError
from portal.pocs.models import Customer, Hyperscaler, Poc, poc_action_item
from portal.vocab import POC_STAGES


class SequencingError(DomainError):
    """Bad input for a sequencing change (422): the message says what to fix."""


STALE_MESSAGE = ("Someone else changed these POCs while you were looking. Here is the board as "
                 "it is now; nothing was saved.")


class StaleBoard(Conflict):
    """The columns changed since the client read them (409); nothing was saved."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- the board -------------------------------------------------------------------------

@dataclass
class Column:
    hyperscaler: Hyperscaler
    pocs: list[Poc]

    @property
    def order(self) -> list[int]:
        return [poc.id for poc in self.pocs]


@dataclass
class Board:
    columns: list[Column]
    action_counts: dict[int, int] = field(default_factory=dict)

    @property
    def token(self) -> str:
        """The order the client saw, sent back with every move: one digest per column."""
        return format_token({c.hyperscaler.id: c.order for c in self.columns})

    @property
    def targets(self) -> list[tuple[Hyperscaler, int]]:
        """Every column in rank order with its number of POCs (where a card can move)."""
        return [(c.hyperscaler, len(c.pocs)) for c in self.columns]

    @property
    def pocs(self) -> list[Poc]:
        return [poc for column in self.columns for poc in column.pocs]


# The board token: `<hyperscaler id>:<digest>` per column, comma-separated, where the digest
# is a prefix of the SHA-256 of the column's POC ids in order. Its size grows with the
# number of hyperscalers, not of POCs; a move compares the digests of the columns it
# touches, so a change in an unrelated column does not make a move stale.
DIGEST_LENGTH = 16
_TOKEN_PART = re.compile(rf"^(\d{{1,9}}):([0-9a-f]{{{DIGEST_LENGTH}}})$")


def column_digest(hyperscaler_id: int, poc_ids: list[int]) -> str:
    text = f"{hyperscaler_id}={','.join(str(i) for i in poc_ids)}"
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


def column_digests(orders: dict[int, list[int]]) -> dict[int, str]:
    """`{hyperscaler id: digest}` of `{hyperscaler id: POC ids in order}`."""
    return {hid: column_digest(hid, ids) for hid, ids in orders.items()}


def format_token(orders: dict[int, list[int]]) -> str:
    return ",".join(f"{hid}:{digest}" for hid, digest in column_digests(orders).items())


def parse_token(text: str) -> dict[int, str]:
    """The digests of a board token; raises SequencingError on anything else."""
    digests: dict[int, str] = {}
    if len(text) > 2000:
        raise SequencingError("The board state sent is too long. Reload the page.", "expected")
    for part in filter(None, text.split(",")):
        match = _TOKEN_PART.match(part)
        if match is None:
            raise SequencingError("The board state sent is not readable. Reload the page.",
                                  "expected")
        digests[int(match.group(1))] = match.group(2)
    return digests


def current_token(session: Session) -> str:
    """The token of the board as it is now, from one narrow query (no ORM objects)."""
    orders: dict[int, list[int]] = {
        hid: [] for hid in session.scalars(
            select(Hyperscaler.id).order_by(Hyperscaler.rank, Hyperscaler.id))}
    for hid, poc_id in session.execute(
            select(Poc.hyperscaler_id, Poc.id).order_by(Poc.hyperscaler_id, Poc.position,
                                                        Poc.id)):
        orders.setdefault(hid, []).append(poc_id)
    return format_token(orders)


def _poc_query():
    return select(Poc).options(joinedload(Poc.customer), joinedload(Poc.owner))


def board(session: Session) -> Board:
    """The columns in rank order, each with its POCs in sequence order (three queries)."""
    scalers = session.scalars(select(Hyperscaler).order_by(Hyperscaler.rank, Hyperscaler.id)).all()
    pocs = session.scalars(_poc_query().order_by(Poc.hyperscaler_id, Poc.position, Poc.id)).all()
    by_column: dict[int, list[Poc]] = defaultdict(list)
    for poc in pocs:
        by_column[poc.hyperscaler_id].append(poc)
    counts = dict(session.execute(
        select(poc_action_item.c.poc_id, func.count()).group_by(poc_action_item.c.poc_id)
    ).all())
    columns = [Column(scaler, by_column.get(scaler.id, [])) for scaler in scalers]
    return Board(columns, counts)


@dataclass
class Card:
    """One card of the board on its own: the POC, where it can move, its action count."""

    poc: Poc
    targets: list[tuple[Hyperscaler, int]]
    action_count: int

    @property
    def size(self) -> int:
        return next(size for scaler, size in self.targets if scaler.id == self.poc.hyperscaler_id)


def card(session: Session, poc_id: int) -> Card | None:
    """A card of the board without loading the whole board (four queries)."""
    poc = session.scalar(_poc_query().where(Poc.id == poc_id))
    if poc is None:
        return None
    sizes = dict(session.execute(
        select(Poc.hyperscaler_id, func.count()).group_by(Poc.hyperscaler_id)).all())
    scalers = session.scalars(select(Hyperscaler).order_by(Hyperscaler.rank, Hyperscaler.id))
    count = session.scalar(select(func.count()).select_from(poc_action_item)
                           .where(poc_action_item.c.poc_id == poc_id))
    return Card(poc, [(s, sizes.get(s.id, 0)) for s in scalers], count or 0)


# --- locking and reordering ------------------------------------------------------------

def lock_columns(session: Session, hyperscaler_ids) -> None:
    """Serialises changes to these columns until the transaction ends."""
    ids = sorted(set(hyperscaler_ids))
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Hyperscaler.id).where(Hyperscaler.id.in_(ids)).order_by(Hyperscaler.id)
            .with_for_update()
        )
    else:
        # SQLite: the first write of a transaction waits for the single write lock
        # (busy timeout); the reads after it see everything committed before.
        session.execute(
            update(Hyperscaler).where(Hyperscaler.id.in_(ids)).values(rank=Hyperscaler.rank),
            execution_options={"synchronize_session": False},
        )


def _column_pocs(session: Session, hyperscaler_id: int) -> list[Poc]:
    return list(session.scalars(
        select(Poc).where(Poc.hyperscaler_id == hyperscaler_id)
        .order_by(Poc.position, Poc.id)
        .options(joinedload(Poc.customer))
        .execution_options(populate_existing=True)
    ).all())


def _write_positions(session: Session, hyperscaler_id: int, pocs: list[Poc]) -> None:
    """Numbers the column 1..n, writing only the rows whose place changed."""
    for position, poc in enumerate(pocs, 1):
        if poc.position != position or poc.hyperscaler_id != hyperscaler_id:
            values = {"position": position}
            if poc.hyperscaler_id != hyperscaler_id:
                # Moving to another hyperscaler is a change of the POC: its version moves on.
                values.update(hyperscaler_id=hyperscaler_id, version=Poc.version + 1)
            session.execute(update(Poc).where(Poc.id == poc.id).values(**values),
                            execution_options={"synchronize_session": False})
            session.expire(poc)


def _scaler_or_error(session: Session, hyperscaler_id) -> Hyperscaler:
    scaler = session.get(Hyperscaler, hyperscaler_id) if isinstance(hyperscaler_id, int) else None
    if scaler is None:
        raise SequencingError("There is no such hyperscaler. Reload the page.", "hyperscaler_id")
    return scaler


def reorder(session: Session, actor: Actor, poc_id: int, hyperscaler_id: int,
            new_position: int, expected: dict[int, str] | None) -> Poc:
    """Moves a POC to `new_position` (1-based) in `hyperscaler_id`'s column.

    `expected` maps hyperscaler ids to the digest of the column the client saw (see
    `parse_token`); the source and target columns must still have that digest, else
    `StaleBoard`. `None` skips the check (the CLI and internal callers that hold the lock
    already).
    """
    poc = session.get(Poc, poc_id)
    if poc is None:
        raise SequencingError("That POC no longer exists. Reload the page.", "poc_id")
    target = _scaler_or_error(session, hyperscaler_id)
    source_id = poc.hyperscaler_id
    lock_columns(session, {source_id, target.id})
    # Re-read under the lock: the POC may have moved since it was loaded.
    source_pocs = _column_pocs(session, source_id)
    if poc.id not in [p.id for p in source_pocs]:
        raise StaleBoard("Someone else moved this POC while you were looking. Here is the "
                         "board as it is now; nothing was moved.")
    target_pocs = source_pocs if target.id == source_id else _column_pocs(session, target.id)

    if expected is not None:
        for hid, pocs in {source_id: source_pocs, target.id: target_pocs}.items():
            if expected.get(hid) != column_digest(hid, [p.id for p in pocs]):
                raise StaleBoard("Someone else changed the order of these POCs while you "
                                 "were looking. Here is the board as it is now; nothing "
                                 "was moved.")

    old_position = next(i for i, p in enumerate(source_pocs, 1) if p.id == poc.id)
    source_scaler_name = poc.hyperscaler.name
    remaining = [p for p in source_pocs if p.id != poc.id]
    destination = remaining if target.id == source_id else list(target_pocs)
    limit = len(destination) + 1
    if not isinstance(new_position, int) or not 1 <= new_position <= limit:
        raise SequencingError(f"Position must be between 1 and {limit} on {target.name}.",
                              "position")
    if target.id == source_id and new_position == old_position:
        return poc
    destination.insert(new_position - 1, poc)
    if target.id != source_id:
        _write_positions(session, source_id, remaining)
    _write_positions(session, target.id, destination)

    if target.id == source_id:
        summary = (f"Moved {poc.customer.name}'s POC on {target.name} from position "
                   f"{old_position} to {new_position}")
    else:
        summary = (f"Moved {poc.customer.name}'s POC from {source_scaler_name} #{old_position} "
                   f"to {target.name} #{new_position}")
    record(session, actor, "poc", poc.id, "reorder", summary=summary,
           before={"hyperscaler": source_scaler_name, "position": old_position},
           after={"hyperscaler": target.name, "position": new_position})
    return poc


def append_to_column(session: Session, hyperscaler_id: int) -> int:
    """The next free position at the end of a column, under the column's lock."""
    lock_columns(session, {hyperscaler_id})
    last = session.scalar(
        select(func.max(Poc.position)).where(Poc.hyperscaler_id == hyperscaler_id))
    return (last or 0) + 1


def close_gap(session: Session, hyperscaler_id: int) -> None:
    """Renumbers a column 1..n after a POC left it (call with the column locked)."""
    _write_positions(session, hyperscaler_id, _column_pocs(session, hyperscaler_id))


def change_rank(session: Session, actor: Actor, hyperscaler_id: int, direction: str,
                expected: list[int] | None) -> Hyperscaler:
    """Swaps a hyperscaler's rank with its neighbour (`up` = higher priority)."""
    if direction not in ("up", "down"):
        raise SequencingError("Choose up or down.", "direction")
    all_ids = list(session.scalars(select(Hyperscaler.id)))
    lock_columns(session, all_ids)
    scalers = list(session.scalars(
        select(Hyperscaler).order_by(Hyperscaler.rank, Hyperscaler.id)
        .execution_options(populate_existing=True)
    ))
    if expected is not None and expected != [s.id for s in scalers]:
        raise StaleBoard("Someone else changed the hyperscaler priorities meanwhile. "
                         "Here they are now; nothing was changed.")
    index = next((i for i, s in enumerate(scalers) if s.id == hyperscaler_id), None)
    if index is None:
        raise SequencingError("There is no such hyperscaler.", "hyperscaler_id")
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(scalers):
        raise SequencingError(f"{scalers[index].name} is already "
                              f"{'first' if direction == 'up' else 'last'}.", "direction")
    scalers[index], scalers[other] = scalers[other], scalers[index]
    before = {s.name: s.rank for s in scalers}
    for rank, scaler in enumerate(scalers, 1):
        scaler.rank = rank
    moved = scalers[other]
    record(session, actor, "hyperscaler", moved.id, "rank",
           summary=f"{moved.name} is now priority {moved.rank}",
           before=before, after={s.name: s.rank for s in scalers})
    return moved


# --- sequencing checks -----------------------------------------------------------------

CHECK_KINDS = ("rank_order", "parallel_running", "scheduled_incomplete", "overrun")


@dataclass(frozen=True)
class SequencingWarning:
    """One problem in the sequence, as data: the executive summary renders it too."""

    kind: str  # one of CHECK_KINDS
    message: str
    poc_ids: tuple[int, ...]
    hyperscaler: str | None = None
    hyperscaler_id: int | None = None


# Stages whose planned dates still mean something for the order of starts.
_PLANNED_STAGES = ("candidate", "confirmed", "scheduled", "running", "won")


def _fmt(day: date) -> str:
    return day.strftime("%d %b %Y")


def sequencing_checks(session: Session, today: date,
                      pocs: list[Poc] | None = None) -> list[SequencingWarning]:
    """The four checks of the sequencing rules, in a fixed order.

    1. rank_order: a POC on a lower-ranked hyperscaler planned to start before the first
       POC of a higher-ranked one (or while a higher-ranked one has none planned);
    2. parallel_running: two running POCs for the same customer;
    3. scheduled_incomplete: a scheduled POC without dates or owner;
    4. overrun: a running POC past its planned end.
    Pass `pocs` (with hyperscaler and customer loaded) to reuse a board's rows.
    """
    if pocs is None:
        pocs = list(session.scalars(
            select(Poc).options(joinedload(Poc.customer), joinedload(Poc.hyperscaler))
        ).all())
    pocs = sorted(pocs, key=lambda p: (p.hyperscaler.rank, p.hyperscaler_id, p.position, p.id))
    warnings: list[SequencingWarning] = []

    # 1. Rank order: compare each planned start with the first start of every higher rank.
    scalers = {p.hyperscaler_id: p.hyperscaler for p in pocs}
    first_start: dict[int, Poc] = {}
    for poc in pocs:
        if poc.stage in _PLANNED_STAGES and poc.planned_start:
            best = first_start.get(poc.hyperscaler_id)
            if best is None or poc.planned_start < best.planned_start:
                first_start[poc.hyperscaler_id] = poc
    for poc in pocs:
        if poc.stage not in _PLANNED_STAGES or poc.planned_start is None:
            continue
        rank = poc.hyperscaler.rank
        ahead_of = []
        for hid, scaler in scalers.items():
            if scaler.rank >= rank:
                continue
            first = first_start.get(hid)
            if first is None:
                ahead_of.append((scaler, None))
            elif poc.planned_start < first.planned_start:
                ahead_of.append((scaler, first))
        if ahead_of:
            ahead_of.sort(key=lambda pair: pair[0].rank)
            parts = [f"{s.name} (priority {s.rank}) "
                     + (f"starts {_fmt(f.planned_start)} with {f.customer.name}" if f
                        else "has no POC planned yet") for s, f in ahead_of]
            warnings.append(SequencingWarning(
                "rank_order",
                f"{poc.customer.name} on {poc.hyperscaler.name} (priority {rank}) is planned "
                f"to start {_fmt(poc.planned_start)}, before {'; '.join(parts)}.",
                (poc.id, *[f.id for _s, f in ahead_of if f]),
                poc.hyperscaler.name, poc.hyperscaler_id,
            ))

    # 2. Two running POCs for the same customer.
    running: dict[int, list[Poc]] = defaultdict(list)
    for poc in pocs:
        if poc.stage == "running":
            running[poc.customer_id].append(poc)
    for group in sorted(running.values(), key=lambda g: g[0].customer.name.casefold()):
        if len(group) > 1:
            where = " and ".join(p.hyperscaler.name for p in group)
            warnings.append(SequencingWarning(
                "parallel_running",
                f"{group[0].customer.name} has {len(group)} POCs running at once ({where}).",
                tuple(p.id for p in group),
            ))

    # 3. Scheduled without dates or owner.
    for poc in pocs:
        if poc.stage != "scheduled":
            continue
        missing = [name for name, value in (("start date", poc.planned_start),
                                            ("end date", poc.planned_end),
                                            ("owner", poc.owner_id)) if value is None]
        if missing:
            warnings.append(SequencingWarning(
                "scheduled_incomplete",
                f"{poc.customer.name} on {poc.hyperscaler.name} is scheduled but has no "
                f"{_join(missing)}.",
                (poc.id,), poc.hyperscaler.name, poc.hyperscaler_id,
            ))

    # 4. Running past the planned end.
    for poc in pocs:
        if poc.stage == "running" and poc.planned_end and poc.planned_end < today:
            late = (today - poc.planned_end).days
            warnings.append(SequencingWarning(
                "overrun",
                f"{poc.customer.name} on {poc.hyperscaler.name} is still running "
                f"{late} day{'s' if late != 1 else ''} after its planned end "
                f"({_fmt(poc.planned_end)}).",
                (poc.id,), poc.hyperscaler.name, poc.hyperscaler_id,
            ))
    return warnings


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# --- pipeline for the executive summary ------------------------------------------------

@dataclass(frozen=True)
class NextPoc:
    id: int
    customer: str
    stage: str
    position: int
    planned_start: date | None


@dataclass(frozen=True)
class PipelineRow:
    hyperscaler_id: int
    hyperscaler: str
    rank: int
    counts: dict[str, int]  # every stage of POC_STAGES, zero when none
    total: int
    next_pocs: tuple[NextPoc, ...]


UPCOMING_STAGES = ("candidate", "confirmed", "scheduled")


def pipeline(session: Session, today: date, next_count: int = 3) -> list[PipelineRow]:
    """Per hyperscaler in rank order: POCs by stage and the next ones to start, in
    sequence order (three queries, whatever the number of POCs)."""
    scalers = session.scalars(select(Hyperscaler).order_by(Hyperscaler.rank, Hyperscaler.id)).all()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(POC_STAGES, 0))
    for hid, stage, n in session.execute(
        select(Poc.hyperscaler_id, Poc.stage, func.count()).group_by(Poc.hyperscaler_id, Poc.stage)
    ):
        counts[hid][stage] = n
    upcoming: dict[int, list[NextPoc]] = defaultdict(list)
    rows = session.execute(
        select(Poc.id, Poc.hyperscaler_id, Poc.stage, Poc.position, Poc.planned_start,
               Customer.name)
        .join(Customer, Customer.id == Poc.customer_id)
        .where(Poc.stage.in_(UPCOMING_STAGES))
        .order_by(Poc.hyperscaler_id, Poc.position, Poc.id)
    )
    for pid, hid, stage, position, start, customer in rows:
        if len(upcoming[hid]) < next_count:
            upcoming[hid].append(NextPoc(pid, customer, stage, position, start))
    return [
        PipelineRow(s.id, s.name, s.rank, dict(counts[s.id]), sum(counts[s.id].values()),
                    tuple(upcoming[s.id]))
        for s in scalers
    ]

