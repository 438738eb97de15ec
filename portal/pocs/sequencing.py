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
from functools import cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from portal.audit.log import Actor, record
from portal.clock import reading_date
from portal.errors import Conflict, DomainError
from portal.extensions import read_rows
from portal.people.models import Person
from portal.pocs.models import Customer, Hyperscaler, Poc, poc_action_item
from portal.vocab import POC_STAGES, label


class SequencingError(DomainError):
    """Bad input for a sequencing change (422): the message says what to fix."""


STALE_MESSAGE = ("Someone else changed these POCs while you were looking. Here is the board as "
                 "it is now; nothing was saved.")


class StaleBoard(Conflict):
    """The columns changed since the client read them (409); nothing was saved."""


# --- the board -------------------------------------------------------------------------

@dataclass(slots=True)
class Named:
    id: int
    name: str


@dataclass(slots=True)
class PocRow:
    """A POC as the board, the timeline and the checks read it: its own columns but the
    long texts, its customer's and owner's names and its hyperscaler. Read with one Core
    select (`poc_rows`): a board of 400 POCs costs a tenth of loading them as ORM objects
    with their customers and owners."""

    id: int
    customer_id: int
    hyperscaler_id: int
    position: int
    stage: str
    planned_start: date | None
    planned_end: date | None
    owner_id: int | None
    offer_type: str
    version: int
    customer: Named
    owner: Named | None
    hyperscaler: Hyperscaler


def poc_rows(session: Session, scalers: list[Hyperscaler]) -> list[PocRow]:
    """Every POC in column and sequence order, as `PocRow`s (one statement); `scalers`
    are the hyperscalers the rows point to."""
    by_id = {scaler.id: scaler for scaler in scalers}
    return [PocRow(pid, customer_id, scaler_id, position, stage, start, end, owner_id, offer,
                   version, Named(customer_id, customer),
                   None if owner_id is None else Named(owner_id, owner), by_id[scaler_id])
            for (pid, customer_id, scaler_id, position, stage, start, end, owner_id, offer,
                 version, customer, owner) in read_rows(session, _poc_rows_statement())]


@cache
def _poc_rows_statement():
    """`poc_rows`' statement, built once."""
    return (select(Poc.id, Poc.customer_id, Poc.hyperscaler_id, Poc.position, Poc.stage,
                   Poc.planned_start, Poc.planned_end, Poc.owner_id, Poc.offer_type,
                   Poc.version, Customer.name, Person.name)
            .join(Customer, Customer.id == Poc.customer_id)
            .outerjoin(Person, Person.id == Poc.owner_id)
            .order_by(Poc.hyperscaler_id, Poc.position, Poc.id))


def _hyperscalers(session: Session) -> list[Hyperscaler]:
    return list(session.scalars(select(Hyperscaler).order_by(Hyperscaler.rank, Hyperscaler.id)))


@dataclass
class Column:
    hyperscaler: Hyperscaler
    pocs: list[PocRow]

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
    def pocs(self) -> list[PocRow]:
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


def board(session: Session, *, action_counts: bool = True) -> Board:
    """The columns in rank order, each with its POCs in sequence order (three queries; two
    without the cards' `action_counts`)."""
    scalers = _hyperscalers(session)
    by_column: dict[int, list[PocRow]] = defaultdict(list)
    for poc in poc_rows(session, scalers):
        by_column[poc.hyperscaler_id].append(poc)
    counts = dict(session.execute(
        select(poc_action_item.c.poc_id, func.count()).group_by(poc_action_item.c.poc_id)
    ).all()) if action_counts else {}
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

CHECK_KINDS = ("priority_gap", "rank_order", "sequence_order", "parallel_running",
               "scheduled_incomplete", "late_start", "overrun")

# What the board calls each kind beside its sentence.
CHECK_LABELS = {
    "priority_gap": "Priority without a POC",
    "rank_order": "Out of priority order",
    "sequence_order": "Out of sequence",
    "parallel_running": "Parallel POCs",
    "scheduled_incomplete": "Incomplete schedule",
    "late_start": "Start date passed",
    "overrun": "Overrunning",
}


@dataclass(frozen=True)
class SequencingWarning:
    """One problem in the sequence, as data: the executive summary renders it too."""

    kind: str  # one of CHECK_KINDS
    message: str
    poc_ids: tuple[int, ...]
    hyperscaler: str | None = None
    hyperscaler_id: int | None = None

    @property
    def label(self) -> str:
        return CHECK_LABELS[self.kind]


# Stages of a POC that is in play: its planned dates still mean something for the order
# of starts. Lost and on-hold POCs are parked and count for no check of the order.
_PLANNED_STAGES = ("candidate", "confirmed", "scheduled", "running", "won")
_NOT_STARTED = ("candidate", "confirmed", "scheduled")
# A sentence names at most this many POCs of one problem, then "and N more".
_MAX_PARTS = 3


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _capped(parts: list[str], separator: str = "; ", total: int | None = None) -> str:
    """The first `_MAX_PARTS` parts and "and N more" of the rest (of `total` when the
    caller worded only the parts shown)."""
    total = len(parts) if total is None else total
    text = separator.join(parts[:_MAX_PARTS])
    if total > _MAX_PARTS:
        text += f"{separator}and {total - _MAX_PARTS} more"
    return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def sequencing_checks(session: Session, today: date,
                      board: Board | None = None) -> list[SequencingWarning]:
    """The checks of the sequencing rules, in a fixed order (`CHECK_KINDS`).

    The program runs its POCs hyperscaler by hyperscaler in priority order (rank 1 first)
    and, within a hyperscaler, top to bottom (position 1 first):

    1. priority_gap: a hyperscaler with no POC in play while a lower-priority one has some;
    2. rank_order: a hyperscaler whose first planned start comes before the first planned
       start of a higher-priority one (or while that one has no start date yet);
    3. sequence_order: within a hyperscaler, a POC not won yet planned to start before
       one placed above it, or running while one above it has not started;
    4. parallel_running: two running POCs for the same customer;
    5. scheduled_incomplete: a scheduled POC without dates or owner;
    6. late_start: POCs not started yet whose planned start has passed;
    7. overrun: a running POC past its planned end.

    Everything is computed from the current ranks and positions, so a reorder or a
    priority change is judged on the next call. Pass the `board` to reuse its rows (no
    query); without it, two queries. `PocRow`s or ORM `Poc`s both do.
    """
    if board is not None:
        scalers = [column.hyperscaler for column in board.columns]
        pocs = board.pocs
    else:
        scalers = _hyperscalers(session)
        pocs = poc_rows(session, scalers)
    scalers = sorted(scalers, key=lambda s: (s.rank, s.id))
    by_scaler: dict[int, list[PocRow]] = defaultdict(list)
    for poc in sorted(pocs, key=lambda p: (p.position, p.id)):
        by_scaler[poc.hyperscaler_id].append(poc)
    in_play = {s.id: [p for p in by_scaler[s.id] if p.stage in _PLANNED_STAGES]
               for s in scalers}
    ordered = [p for s in scalers for p in by_scaler[s.id]]

    return [*_priority_gaps(scalers, by_scaler, in_play),
            *_rank_order(scalers, in_play),
            *_sequence_order(scalers, in_play),
            *_parallel_running(ordered),
            *_scheduled_incomplete(ordered),
            *_late_starts(scalers, by_scaler, today),
            *_overruns(ordered, today)]


def _priority_gaps(scalers, by_scaler, in_play) -> list[SequencingWarning]:
    warnings = []
    for index, scaler in enumerate(scalers):
        if in_play[scaler.id]:
            continue
        lower = [s for s in scalers[index + 1:] if in_play[s.id]]
        if not lower:
            continue
        parked = len(by_scaler[scaler.id])
        has = (f"has no POC in play ({parked} lost or on hold)" if parked else "has no POC")
        others = _and([f"{s.name} (priority {s.rank}) has {_plural(len(in_play[s.id]), 'POC')}"
                       for s in lower])
        warnings.append(SequencingWarning(
            "priority_gap",
            f"{scaler.name} (priority {scaler.rank}) {has}, while {others}: add "
            f"{scaler.name}'s first POC or lower its priority.",
            tuple(p.id for s in lower for p in in_play[s.id][:1]),
            scaler.name, scaler.id,
        ))
    return warnings


def _first_start(pocs: list[Poc]) -> Poc | None:
    dated = [p for p in pocs if p.planned_start]
    return min(dated, key=lambda p: (p.planned_start, p.position, p.id)) if dated else None


def _rank_order(scalers, in_play) -> list[SequencingWarning]:
    firsts = {s.id: _first_start(in_play[s.id]) for s in scalers}
    warnings = []
    for index, scaler in enumerate(scalers):
        first = firsts[scaler.id]
        if first is None:
            continue
        parts, ids = [], []
        for higher in scalers[:index]:
            theirs = firsts[higher.id]
            if not in_play[higher.id]:
                continue  # a priority gap, said once by its own check
            if theirs is None:
                parts.append(f"{higher.name} (priority {higher.rank}) has no POC with a start "
                             f"date yet")
            elif first.planned_start < theirs.planned_start:
                parts.append(f"{higher.name} (priority {higher.rank}) starts "
                             f"{reading_date(theirs.planned_start)} with {theirs.customer.name}")
                ids.append(theirs.id)
        if parts:
            warnings.append(SequencingWarning(
                "rank_order",
                f"{first.customer.name} on {scaler.name} (priority {scaler.rank}) is planned "
                f"to start {reading_date(first.planned_start)}, before {'; '.join(parts)}.",
                (first.id, *ids), scaler.name, scaler.id,
            ))
    return warnings


def _order_parts(later: Poc, earlier_dates: list[Poc], waiting: list[Poc]) -> list[str]:
    """What is out of order about `later`, in words."""
    name = f"{later.customer.name} (#{later.position})"
    parts = []
    if earlier_dates:
        parts.append(f"{name} starts {reading_date(later.planned_start)}, before " + _and(
            [f"{p.customer.name} (#{p.position}, {reading_date(p.planned_start)})"
             for p in earlier_dates]))
    if waiting:
        parts.append(f"{name} is running while " + _and(
            [f"{p.customer.name} (#{p.position}, {label(p.stage).lower()})"
             for p in waiting]) + " has not started")
    return parts


@dataclass
class _Passed:
    """The POCs a pass over a column has gone by (of one kind): whether there are any,
    whether one has no start date, and the earliest and latest start among them."""

    any: bool = False
    undated: bool = False
    earliest: date | None = None
    latest: date | None = None

    def add(self, start: date | None) -> None:
        self.any = True
        if start is None:
            self.undated = True
            return
        self.earliest = start if self.earliest is None else min(self.earliest, start)
        self.latest = start if self.latest is None else max(self.latest, start)


def _column_disorder(column: list[Poc]) -> tuple[list[str], int, list[int]]:
    """Where a column's dates or stages disagree with its top-to-bottom order: the parts
    of the message a sentence shows (`_MAX_PARTS`), how many there are in all, and the ids
    of the POCs involved, top to bottom.

    A POC is out of order when it starts before one above it, or runs while one above it
    (not among the former) has not started. One pass down the column with what is above
    and one up it with what is below decide both (`_Passed`), so a column of hundreds of
    POCs costs linear time; only the parts shown are worded."""
    starts = [p.planned_start for p in column]
    waits = [p.stage in _NOT_STARTED for p in column]
    runs = [p.stage == "running" for p in column]
    involved = [False] * len(column)
    parts: list[str] = []
    total = 0
    above, waiting_above = _Passed(), _Passed()
    for index, start in enumerate(starts):
        earlier = bool(start and above.latest and start < above.latest)
        waiting = runs[index] and waiting_above.any and (
            start is None or waiting_above.undated or waiting_above.earliest <= start)
        if earlier or waiting:
            involved[index] = True
            total += earlier + waiting
            if len(parts) < _MAX_PARTS:
                parts.extend(_order_parts(column[index], *_out_of_order(column, index)))
        above.add(start)
        if waits[index]:
            waiting_above.add(start)
    # Going up: a POC is involved when one below starts before it, or runs while it waits.
    below, running_below = _Passed(), _Passed()
    for index in range(len(column) - 1, -1, -1):
        start = starts[index]
        if start and below.earliest and below.earliest < start:
            involved[index] = True
        if waits[index] and running_below.any and (
                start is None or running_below.undated or start <= running_below.latest):
            involved[index] = True
        below.add(start)
        if runs[index]:
            running_below.add(start)
    return (parts[:_MAX_PARTS], total,
            [p.id for p, hit in zip(column, involved, strict=True) if hit])


def _out_of_order(column: list[Poc], index: int) -> tuple[list[Poc], list[Poc]]:
    """The POCs above `column[index]` that start after it, and, if it runs, those above
    it (not among the former) that have not started: what its message part names."""
    later = column[index]
    start = later.planned_start
    above = column[:index]
    earlier = [p for p in above if start and p.planned_start and start < p.planned_start]
    waiting = ([p for p in above if p.stage in _NOT_STARTED and p not in earlier]
               if later.stage == "running" else [])
    return earlier, waiting


def _sequence_order(scalers, in_play) -> list[SequencingWarning]:
    """One warning per hyperscaler whose column is not in the order of its dates and stages."""
    warnings = []
    for scaler in scalers:
        # Won POCs are history: their dates no longer say anything about the order ahead.
        column = [p for p in in_play[scaler.id] if p.stage != "won"]
        parts, total, ids = _column_disorder(column)
        if parts:
            warnings.append(SequencingWarning(
                "sequence_order",
                f"{scaler.name}'s POCs run top to bottom, but {_capped(parts, total=total)}: "
                f"move the cards or change the dates.",
                tuple(ids), scaler.name, scaler.id,
            ))
    return warnings


def _parallel_running(pocs) -> list[SequencingWarning]:
    running: dict[int, list[Poc]] = defaultdict(list)
    for poc in pocs:
        if poc.stage == "running":
            running[poc.customer_id].append(poc)
    warnings = []
    for group in sorted(running.values(), key=lambda g: g[0].customer.name.casefold()):
        if len(group) > 1:
            where = " and ".join(p.hyperscaler.name for p in group)
            warnings.append(SequencingWarning(
                "parallel_running",
                f"{group[0].customer.name} has {len(group)} POCs running at once ({where}).",
                tuple(p.id for p in group),
            ))
    return warnings


def _scheduled_incomplete(pocs) -> list[SequencingWarning]:
    warnings = []
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
    return warnings


def _late_starts(scalers, by_scaler, today: date) -> list[SequencingWarning]:
    """One warning per hyperscaler, so that a stale plan does not bury the other checks."""
    warnings = []
    for scaler in scalers:
        late = [p for p in by_scaler[scaler.id]
                if p.stage in _NOT_STARTED and p.planned_start and p.planned_start < today]
        if not late:
            continue
        if len(late) == 1:
            poc = late[0]
            message = (f"{poc.customer.name} on {scaler.name} was planned to start "
                       f"{reading_date(poc.planned_start)} "
                       f"({_plural((today - poc.planned_start).days, 'day')} ago) but is "
                       f"still {label(poc.stage).lower()}: start it or move its dates.")
        else:
            names = [f"{p.customer.name} ({label(p.stage).lower()}, "
                     f"{reading_date(p.planned_start)})" for p in late]
            message = (f"{len(late)} POCs on {scaler.name} have passed their planned start "
                       f"without starting: {_capped(names, ', ')}: start them or move their "
                       f"dates.")
        warnings.append(SequencingWarning("late_start", message, tuple(p.id for p in late),
                                          scaler.name, scaler.id))
    return warnings


def _overruns(pocs, today: date) -> list[SequencingWarning]:
    warnings = []
    for poc in pocs:
        if poc.stage == "running" and poc.planned_end and poc.planned_end < today:
            late = (today - poc.planned_end).days
            warnings.append(SequencingWarning(
                "overrun",
                f"{poc.customer.name} on {poc.hyperscaler.name} is still running "
                f"{_plural(late, 'day')} after its planned end ({reading_date(poc.planned_end)}).",
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


def pipeline(board: Board, stages: dict[int, str] | None = None,
             next_count: int = 3) -> list[PipelineRow]:
    """Per hyperscaler in rank order: POCs by stage and the next ones to start, in sequence
    order, from the board's rows (no query). `stages` gives POCs another stage than their
    own: a past day's, rebuilt from the audit log."""
    stages = stages or {}
    rows = []
    for column in board.columns:
        counts = dict.fromkeys(POC_STAGES, 0)
        upcoming: list[NextPoc] = []
        for poc in column.pocs:
            stage = stages.get(poc.id, poc.stage)
            counts[stage] = counts.get(stage, 0) + 1
            if stage in UPCOMING_STAGES and len(upcoming) < next_count:
                upcoming.append(NextPoc(poc.id, poc.customer.name, stage, poc.position,
                                        poc.planned_start))
        scaler = column.hyperscaler
        rows.append(PipelineRow(scaler.id, scaler.name, scaler.rank, counts,
                                sum(counts.values()), tuple(upcoming)))
    return rows
