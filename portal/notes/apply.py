"""Plan and apply the import of a parsed meeting note.

``build_plan`` is a pure preview: it reads the database and says what an import would
create, update or leave unchanged, line by line, without writing anything. ``apply``
carries a plan out in the caller's session, with an audit event for every change; the
caller commits once (or rolls back, for a dry run), so an import is one transaction.

An action item's identity is its meeting plus its identity key (``title_key`` of the
actions area, taken from the note line that created it), or the line's Obsidian block
id (``^id``), which finds the line even after its text changed. Items are created and
changed through the actions area's functions, with their checks and status-date rules.
A meeting is identified by its title and date (a note that names no date: by its
title). Re-importing the same note changes nothing. For an edited note each field is
merged three ways against the note imported last time: a field the note did not
change keeps the value the portal holds (a lead's edit on the item's page survives), a
field the note changed takes the note's new value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.actions.service import (
    MAX_RECURRENCE,
    ActionError,
    create_item,
    normalise_tags,
    title_key,
    update_item,
)
from portal.audit.log import Actor, record
from portal.clock import local_today, reading_date
from portal.notes.parse import (
    NoteError,
    ParsedNote,
    ParsedTask,
    date_in,
    parse_note,
    without_date,
)
from portal.notes.repair import repair_text
from portal.notes.resolve import (
    CHOSEN,
    MYSELF,
    NEAR,
    NEW,
    UNRESOLVED,
    Match,
    PersonRef,
    Resolver,
    Suggestion,
    WorkstreamRef,
    WorkstreamSuggester,
    clean_name,
    looks_like_team,
    person_key,
)

#: Column sizes the values are clamped to (see the models).
TITLE_MAX = 500
#: The most task lines one note may hold: a preview must stay readable and light.
MAX_TASKS = 2000
MEETING_TITLE_MAX = 300
TAGS_MAX = 500

#: The item fields an import sets from a task line, in the order they are shown.
NOTE_FIELDS = (
    "title", "status", "priority", "due_date", "scheduled_date", "start_date",
    "created_date", "done_date", "cancelled_date", "recurrence", "tags",
)
FIELD_LABELS = {
    "title": "title", "status": "status", "priority": "priority", "due_date": "due",
    "scheduled_date": "scheduled", "start_date": "start", "created_date": "created",
    "done_date": "done", "cancelled_date": "cancelled", "recurrence": "recurrence",
    "tags": "tags", "owner": "owner", "workstream": "workstream", "block_id": "block id",
}

CREATE, UPDATE, UNCHANGED, REMOVE = "create", "update", "unchanged", "remove"

#: Override values for an owner: a person (``id:<n>``), a new person (``new:<name key>``,
#: the name as written or another new name of the note), or nobody.
OVERRIDE_NONE = "none"


@dataclass(frozen=True)
class Notice:
    """A warning of the import, on a line of the note (0: the whole note)."""

    line: int
    message: str


@dataclass
class OwnerPlan:
    """An owner mention of the note, how it resolves, and the lines that use it."""

    index: int
    written: str
    key: str
    default: Match
    match: Match
    lines: list[int] = field(default_factory=list)
    default_choice: str = ""

    @property
    def overridden(self) -> bool:
        return self.match.kind == CHOSEN or self.match.person_key != self.default.person_key

    @property
    def choice(self) -> str:
        """The value of this owner's select in the preview form."""
        return choice_value(self.match)


@dataclass
class ItemPlan:
    """What the import does with one task line."""

    line: int
    title: str
    key: str
    action: str
    values: dict
    owner_written: str | None
    owner: Match | None
    item_id: int | None = None
    version: int | None = None
    block_id: str | None = None
    changes: dict[str, tuple] = field(default_factory=dict)
    set_owner: bool = False
    suggestion: Suggestion = field(default_factory=lambda: Suggestion(None))
    workstream: WorkstreamRef | None = None
    current_workstream: str | None = None

    @property
    def owner_name(self) -> str:
        if self.owner is None or self.owner.person is None:
            return ""
        return self.owner.person.name


@dataclass
class DecisionPlan:
    text: str
    action: str
    decision_id: int | None = None
    position: int = 0


@dataclass
class AliasPlan:
    """Another spelling to remember for a person: the near-duplicate seen in the note."""

    person: PersonRef
    alias: str
    key: str


@dataclass
class MeetingPlan:
    action: str
    title: str
    date: date | None
    meeting_id: int | None
    participants: list[Match]
    changes: dict[str, tuple] = field(default_factory=dict)
    date_inferred: bool = False


@dataclass
class ImportPlan:
    """Everything an import would do, for the preview, the report and ``apply``."""

    note: ParsedNote
    source_name: str
    myself_id: int | None
    meeting: MeetingPlan
    owners: list[OwnerPlan]
    items: list[ItemPlan]
    decisions: list[DecisionPlan]
    new_people: list[PersonRef]
    aliases: list[AliasPlan]
    notices: list[Notice]
    dropped: list[str]
    workstreams: list[WorkstreamRef]
    today: date
    fingerprint: str = ""

    def items_by(self, action: str) -> list[ItemPlan]:
        return [item for item in self.items if item.action == action]

    @property
    def created(self) -> list[ItemPlan]:
        return self.items_by(CREATE)

    @property
    def updated(self) -> list[ItemPlan]:
        return self.items_by(UPDATE)

    @property
    def unchanged(self) -> list[ItemPlan]:
        return self.items_by(UNCHANGED)

    @property
    def has_changes(self) -> bool:
        """Whether ``apply`` would write anything at all."""
        return bool(
            self.meeting.action != UNCHANGED or self.created or self.updated or self.new_people
            or self.aliases or any(d.action != UNCHANGED for d in self.decisions)
        )

    @property
    def repairs(self):
        return self.note.repairs

    @property
    def warnings(self) -> list[Notice]:
        return self.notices

    def owner_for(self, written: str | None) -> OwnerPlan | None:
        if written is None:
            return None
        key = person_key(written)
        return next((owner for owner in self.owners if owner.key == key), None)


@dataclass
class ImportResult:
    """What ``apply`` did."""

    plan: ImportPlan
    meeting_id: int
    created_ids: list[int]
    updated_ids: list[int]
    unchanged: int
    people_created: list[str]
    aliases_added: list[str]
    decisions_created: int
    decisions_removed: int
    meeting_action: str

    @property
    def changed_anything(self) -> bool:
        return self.plan.has_changes


def choice_value(match: Match | None) -> str:
    """A match as the value of an owner select: ``id:<n>``, ``new:<name key>`` or ``none``."""
    if match is None or match.person is None:
        return OVERRIDE_NONE
    return match.person_key


def check_importable(note: ParsedNote) -> None:
    """Refuse a note without task lines (nothing to track) or with too many to review."""
    if not note.tasks:
        # A task line skipped as unreadable (too long) is often why: the warnings say so.
        noted = "; ".join(f"line {w.line}: {w.message}" for w in note.warnings[:3])
        raise NoteError(
            "The note has no task lines (such as '- [ ] Do something @Owner 📅 2025-11-08'); "
            "there is nothing to import." + (f" Also noted: {noted}" if noted else "")
        )
    if len(note.tasks) > MAX_TASKS:
        raise NoteError(
            f"The note has {len(note.tasks):,} task lines; at most {MAX_TASKS:,} can be "
            "imported at once. Split it into several notes."
        )


# --- Building the plan ----------------------------------------------------------------


def _note_values(task: ParsedTask, notices: list[Notice]) -> dict:
    """The item fields a task line sets, clamped to the column sizes."""
    title = task.title
    if len(title) > TITLE_MAX:
        notices.append(Notice(task.line, f"The task title is longer than {TITLE_MAX} "
                                         "characters; it was shortened."))
        title = title[: TITLE_MAX - 1].rstrip() + "…"
    tags = normalise_tags(" ".join(task.tags))
    if len(tags) > TAGS_MAX:
        notices.append(Notice(task.line, "The tags are too long; some were left out."))
        tags = tags[:TAGS_MAX].rsplit(" ", 1)[0]
    recurrence = task.recurrence[:MAX_RECURRENCE] if task.recurrence else None
    return {
        "title": title,
        "status": task.status,
        "priority": task.priority,
        "due_date": task.due,
        "scheduled_date": task.scheduled,
        "start_date": task.start,
        "created_date": task.created,
        "done_date": task.done,
        "cancelled_date": task.cancelled,
        "recurrence": recurrence,
        "tags": tags,
    }


def meeting_header(note: ParsedNote, source_name: str,
                   today: date) -> tuple[str, date, bool, Notice | None]:
    """The meeting's title and date, whether the date is only the import day, and the
    warning that says so.

    The date is the front matter's, else one in the file name, else one in the first
    heading, else today. The title is the front matter's, else the first heading's,
    else the file name's (without the date that starts or ends it).
    """
    stem = PurePath(source_name).stem.strip() if source_name else ""
    title = note.title.strip() or (without_date(stem) if stem else "")
    when = note.date or date_in(stem) or date_in(note.heading)
    notice = None
    if when is None:
        when = today
        notice = Notice(0, "The note names no date (front matter, file name or first "
                           f"heading); the meeting is dated today, {reading_date(today)}.")
    if not title:
        title = f"Meeting of {when.isoformat()}"
    return title[:MEETING_TITLE_MAX], when, notice is not None, notice


def _find_meeting(session: Session, title: str, when: date, inferred: bool, sha256: str):
    """The meeting a note was imported into before: the one imported from the very same
    bytes (even if its date was moved in the portal since), else by title and date."""
    from portal.notes.models import Meeting

    options = (selectinload(Meeting.participants), selectinload(Meeting.decisions))
    same = session.scalar(select(Meeting).where(Meeting.sha256 == sha256)
                          .options(*options).order_by(Meeting.id).limit(1))
    if same is not None:
        return same
    query = select(Meeting).where(Meeting.title == title)
    if inferred:  # an undated note: the meeting of that title dated on an import day
        query = query.where(Meeting.date_inferred.is_(True)).order_by(Meeting.id.desc())
    else:
        query = query.where(Meeting.date == when)
    return session.scalar(
        query.options(selectinload(Meeting.participants), selectinload(Meeting.decisions))
        .limit(1)
    )


@dataclass
class PreviousNote:
    """The tasks of the note imported last time for a meeting, by block id and by key."""

    by_block: dict[str, ParsedTask]
    by_key: dict[str, ParsedTask]

    def task_for(self, block_id: str | None, key: str) -> ParsedTask | None:
        if block_id and block_id in self.by_block:
            return self.by_block[block_id]
        return self.by_key.get(key)


def _previous_tasks(meeting) -> PreviousNote | None:
    """The note imported last time for this meeting, or None."""
    if meeting is None or not meeting.raw_text:
        return None
    try:
        previous = parse_note(meeting.raw_text)
    except NoteError:
        return None
    by_block: dict[str, ParsedTask] = {}
    by_key: dict[str, ParsedTask] = {}
    for task in previous.tasks:
        by_key.setdefault(title_key(_note_values(task, [])["title"]), task)
        if task.block_id:
            by_block.setdefault(task.block_id, task)
    return PreviousNote(by_block, by_key)


def _apply_override(owner: OwnerPlan, value: str | None, resolver: Resolver,
                    people: dict[int, PersonRef]) -> None:
    """Replace the default match of ``owner`` by the choice made in the preview."""
    if value is None or value == owner.default_choice:
        return
    if value == OVERRIDE_NONE:
        owner.match = Match(owner.written, CHOSEN, None, "No owner, chosen in the preview.")
        return
    kind, _, ident = value.partition(":")
    if kind == "id" and ident.isdigit() and int(ident) in people:
        ref = people[int(ident)]
        owner.match = Match(owner.written, CHOSEN, ref, f"{ref.name}, chosen in the preview.")
    elif kind == "new" and ident == owner.key:
        ref = resolver.new_people.get(owner.key)
        if ref is None:
            default = owner.default.person
            ref = PersonRef(key=owner.key, name=clean_name(owner.written),
                            kind=default.kind if default and default.is_new
                            else ("team" if looks_like_team(owner.written) else "person"))
            resolver.add_new(ref)
        owner.match = Match(owner.written, CHOSEN, ref,
                            f"A new {ref.kind} {ref.name}, chosen in the preview.")
    elif kind == "new" and ident in resolver.new_people:
        ref = resolver.new_people[ident]
        owner.match = Match(owner.written, CHOSEN, ref,
                            f"The new {ref.kind} {ref.name}, chosen in the preview.")
    else:
        raise NoteError(f"The owner chosen for @{owner.written} no longer exists; "
                        "reload the preview.")


def _people_by_id(resolver: Resolver) -> dict[int, PersonRef]:
    people = {ref.id: ref for ref in resolver.known.values() if ref.id is not None}
    if resolver.myself is not None:
        people[resolver.myself.id] = resolver.myself
    return people


@dataclass
class _Draft:
    """What building a plan carries from step to step: the note, the lookups read once
    (people, workstreams), the preview's choices and the warnings gathered on the way."""

    note: ParsedNote
    resolver: Resolver
    suggester: WorkstreamSuggester
    people: dict[int, PersonRef]
    overrides: dict
    notices: list[Notice]

    @classmethod
    def load(cls, session: Session, note: ParsedNote, myself_id: int | None,
             overrides: dict) -> _Draft:
        suggester = WorkstreamSuggester.load(session)
        resolver = Resolver.load(session, myself_id=myself_id,
                                 team_names=[ws.name for ws in suggester.workstreams])
        return cls(note, resolver, suggester, _people_by_id(resolver), overrides,
                   [Notice(w.line, w.message) for w in note.warnings])

    def warn(self, line: int, message: str) -> None:
        self.notices.append(Notice(line, message))


@dataclass
class _MeetingItems:
    """The items of the meeting the note was imported into before, by identity key and
    by block id; each can be claimed by one task line only, and the rest are dropped."""

    by_key: dict[str, object] = field(default_factory=dict)
    by_block: dict[str, object] = field(default_factory=dict)
    claimed: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session, meeting) -> _MeetingItems:
        found = cls()
        if meeting is None:
            return found
        from portal.actions.models import ActionItem

        for item in session.scalars(
            select(ActionItem)
            .where(ActionItem.meeting_id == meeting.id)
            .options(selectinload(ActionItem.owner), selectinload(ActionItem.workstream))
        ):
            found.by_key[item.title_key] = item
            if item.block_id:
                found.by_block.setdefault(item.block_id, item)
        return found

    def claim(self, block_id: str | None, key: str):
        """The unclaimed item a task line stands for (its block id first, else its
        identity key), now claimed; None for a new item."""
        item = self.by_block.get(block_id) if block_id else None
        if item is None or item.id in self.claimed:
            item = self.by_key.get(key)
        if item is None or item.id in self.claimed:
            return None
        self.claimed.add(item.id)
        return item

    def dropped(self) -> list[str]:
        """The titles of the items no line of the note stands for any more."""
        return [item.title for item in self.by_key.values() if item.id not in self.claimed]


@dataclass
class _SeenLines:
    """The identity keys and block ids of the task lines taken so far: a second line
    with either is skipped, so that one item is never planned twice."""

    keys: dict[str, int] = field(default_factory=dict)
    blocks: dict[str, int] = field(default_factory=dict)

    def skip_reason(self, task: ParsedTask, key: str) -> str | None:
        if not key:
            return "The task has no description; it was skipped."
        if key in self.keys:
            return f"The same task as on line {self.keys[key]}; this line was skipped."
        if task.block_id and task.block_id in self.blocks:
            return (f"The block id ^{task.block_id} is also on line "
                    f"{self.blocks[task.block_id]}; this line was skipped.")
        return None

    def take(self, task: ParsedTask, key: str) -> None:
        self.keys[key] = task.line
        if task.block_id:
            self.blocks[task.block_id] = task.line


def _resolve_participants(draft: _Draft) -> list[Match]:
    """The note's participants, each once. They are resolved before the owners, so an
    owner written slightly differently finds them."""
    participants: list[Match] = []
    seen: set[str] = set()
    for name in draft.note.participants:
        key = person_key(name)
        if key and key not in seen:
            seen.add(key)
            participants.append(draft.resolver.resolve(name))
    return participants


def _owner_mentions(draft: _Draft) -> dict[str, OwnerPlan]:
    """Each owner written in the note, once, with its default match and its lines."""
    owners: dict[str, OwnerPlan] = {}
    for task in draft.note.tasks:
        if task.owner:
            key = person_key(task.owner)
            if key not in owners:
                match = draft.resolver.resolve(task.owner)
                owners[key] = OwnerPlan(len(owners), task.owner, key, match, match)
            owners[key].lines.append(task.line)
    return owners


def _resolve_owners(draft: _Draft) -> dict[str, OwnerPlan]:
    """The owners of the note with the preview's choices applied, and a warning on every
    line of an owner that finds nobody."""
    owners = _owner_mentions(draft)
    choices = draft.overrides.get("owners", {})
    for owner in owners.values():
        owner.default_choice = choice_value(owner.default)
        _apply_override(owner, choices.get(owner.key), draft.resolver, draft.people)
        if owner.match.kind == UNRESOLVED:
            for line in owner.lines:
                draft.warn(line, f"@{owner.written}: {owner.match.explanation}")
    return owners


def _plan_items(draft: _Draft, owners: dict[str, OwnerPlan], existing: _MeetingItems,
                previous: PreviousNote | None) -> list[ItemPlan]:
    """One plan per task line: a new item, or the merge into the item it stands for.
    Lines without a description, and repeats of a line, are skipped with a warning."""
    items: list[ItemPlan] = []
    seen = _SeenLines()
    for task in draft.note.tasks:
        values = _note_values(task, draft.notices)
        key = title_key(values["title"])
        reason = seen.skip_reason(task, key)
        if reason:
            draft.warn(task.line, reason)
            continue
        seen.take(task, key)
        owner = owners.get(person_key(task.owner)) if task.owner else None
        plan = ItemPlan(line=task.line, title=values["title"], key=key, action=CREATE,
                        values=values, owner_written=task.owner,
                        owner=owner.match if owner else None, block_id=task.block_id)
        item = existing.claim(task.block_id, key)
        if item is None:
            _plan_create(draft, plan)
        else:
            _plan_update(plan, item, previous, owner)
        items.append(plan)
    return items


def _plan_create(draft: _Draft, plan: ItemPlan) -> None:
    """A new item: its workstream is the suggestion for its title unless one was chosen
    in the preview, and its owner is set when the mention found someone."""
    plan.suggestion = draft.suggester.suggest(plan.values["title"])
    plan.workstream = plan.suggestion.workstream
    choices = draft.overrides.get("workstreams", {})
    if plan.line in choices:
        plan.workstream = _chosen_workstream(draft.suggester, choices[plan.line])
    plan.set_owner = plan.owner is not None and plan.owner.person is not None


def _chosen_workstream(suggester: WorkstreamSuggester, chosen) -> WorkstreamRef | None:
    """The workstream chosen in the preview (None: none); refused when it is gone."""
    if not chosen:
        return None
    workstream = suggester.by_id(chosen)
    if workstream is None:
        raise NoteError("A workstream chosen in the preview no longer exists; "
                        "reload the preview.")
    return workstream


def _new_people_used(participants: list[Match], items: list[ItemPlan]) -> list[PersonRef]:
    """The new people the import creates: those a participant or an owner that is set
    resolves to, each once, in the order they are first used. (An owner set to nobody,
    on an item whose owner is taken away, creates no one.)"""
    matches = participants + [item.owner for item in items if item.set_owner]
    used: dict[str, PersonRef] = {}
    for match in matches:
        if match is not None and match.person is not None and match.person.is_new:
            used.setdefault(match.person.key, match.person)
    return list(used.values())


def _spellings_to_remember(participants: list[Match], owners: dict[str, OwnerPlan],
                           resolver: Resolver) -> list[Match]:
    """The matches whose spelling differs from the person's: near-duplicates, and a
    spelling matched to someone by hand in the preview."""
    near = [m for m in participants if m.kind == NEAR]
    near += [o.match for o in owners.values() if o.match.kind == NEAR]
    near += [o.match for o in owners.values() if o.match.kind == CHOSEN
             and o.match.person is not None and o.key != MYSELF
             and o.key != o.match.person.key and o.key not in resolver.known]
    return near


def _plan_aliases(participants: list[Match], owners: dict[str, OwnerPlan],
                  resolver: Resolver, new_people: list[PersonRef]) -> list[AliasPlan]:
    """The other spellings to remember, each once, for a person who exists or is
    created by this import."""
    created = {ref.key for ref in new_people}
    aliases: list[AliasPlan] = []
    alias_keys: set[str] = set()
    for match in _spellings_to_remember(participants, owners, resolver):
        key = person_key(match.written)
        if key not in alias_keys and (match.person.id is not None
                                      or match.person.key in created):
            alias_keys.add(key)
            aliases.append(AliasPlan(match.person, clean_name(match.written), key))
    return aliases


def build_plan(
    session: Session,
    note: ParsedNote,
    *,
    myself_id: int | None = None,
    source_name: str = "",
    overrides: dict | None = None,
    today: date | None = None,
) -> ImportPlan:
    """What importing ``note`` would do now; nothing is written.

    ``myself_id`` is the importing user's Person (for ``@Myself``). ``overrides`` holds
    the choices made in the preview: ``{"owners": {mention key: "id:<n>" | "new:<key>" |
    "none"}, "workstreams": {line: workstream id | None}}``. ``today`` (default: today
    in UTC) dates a note that names no date. Raises NoteError for a note that cannot be
    imported (no task lines) or a choice that no longer exists.

    The statements it runs do not depend on the note's size: people, aliases,
    workstreams, the meeting and its items are each read once.
    """
    check_importable(note)
    today = today or local_today()
    draft = _Draft.load(session, note, myself_id, overrides or {})
    participants = _resolve_participants(draft)
    owners = _resolve_owners(draft)

    title, when, inferred, date_notice = meeting_header(note, source_name, today)
    if date_notice:
        draft.notices.append(date_notice)
    meeting = _find_meeting(session, title, when, inferred, note.sha256)
    if inferred and meeting is not None:
        when = meeting.date  # dated on its first import
    existing = _MeetingItems.load(session, meeting)
    items = _plan_items(draft, owners, existing, _previous_tasks(meeting))

    meeting_plan = _plan_meeting(note, title, meeting, participants)
    meeting_plan.date, meeting_plan.date_inferred = when, inferred
    new_people = _new_people_used(participants, items)
    result = ImportPlan(
        note=note, source_name=source_name, myself_id=myself_id, meeting=meeting_plan,
        owners=list(owners.values()), items=items, decisions=_plan_decisions(note, meeting),
        new_people=new_people,
        aliases=_plan_aliases(participants, owners, draft.resolver, new_people),
        notices=sorted(draft.notices, key=lambda n: n.line), dropped=existing.dropped(),
        workstreams=draft.suggester.workstreams, today=today,
    )
    result.fingerprint = fingerprint(result)
    return result


def _display(field_name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plan_update(plan: ItemPlan, item, previous: PreviousNote | None,
                 owner: OwnerPlan | None) -> None:
    """Merge the note's values into an existing item, three ways when possible."""
    plan.item_id = item.id
    plan.version = item.version
    plan.current_workstream = item.workstream.name if item.workstream else None
    old_task = previous.task_for(plan.block_id, item.title_key) if previous else None
    _merge_fields(plan, item, old_task)
    _merge_owner(plan, item, old_task, owner)
    plan.action = UPDATE if plan.changes else UNCHANGED


def _merge_fields(plan: ItemPlan, item, old_task: ParsedTask | None) -> None:
    """The fields the note changes on the item: a field the note did not change since
    last time keeps the portal's value (a lead's edit survives); a new block id is kept."""
    old_values = _note_values(old_task, []) if old_task is not None else None
    for name in NOTE_FIELDS:
        new = plan.values[name]
        current = getattr(item, name)
        if old_values is not None and old_values[name] == new:
            continue  # the note did not change it: the portal's value stands
        if current != new:
            plan.changes[name] = (current, new)
    if plan.block_id and plan.block_id != item.block_id:
        plan.changes["block_id"] = (item.block_id, plan.block_id)


def _owner_mention_changed(plan: ItemPlan, old_task: ParsedTask | None) -> bool:
    """Whether the line's owner mention differs from the note imported last time."""
    if old_task is None:
        return True
    old_key = person_key(old_task.owner) if old_task.owner else None
    new_key = person_key(plan.owner_written) if plan.owner_written else None
    return old_key != new_key


def _merge_owner(plan: ItemPlan, item, old_task: ParsedTask | None,
                 owner: OwnerPlan | None) -> None:
    """The owner changes when the note's mention changed or a different match was chosen
    in the preview, and it names someone other than the item's owner. An unresolved
    mention (@Myself without a person) leaves the owner as it is."""
    chosen = owner is not None and owner.overridden
    if not (_owner_mention_changed(plan, old_task) or chosen):
        return
    match = plan.owner
    person = match.person if match is not None else None
    target_new = person is not None and person.is_new
    target_id = person.id if person is not None else None
    if not target_new and target_id == item.owner_id:
        return
    if match is not None and match.kind == UNRESOLVED:
        return
    before = item.owner.name if item.owner else None
    plan.changes["owner"] = (before, person.name if person else None)
    plan.set_owner = True


def _plan_decisions(note: ParsedNote, meeting) -> list[DecisionPlan]:
    if meeting is not None and meeting.sha256 == note.sha256:  # the very note: they stand
        return [DecisionPlan(d.text, UNCHANGED, d.id, d.position) for d in meeting.decisions]
    existing = {}
    if meeting is not None:
        for decision in meeting.decisions:
            existing.setdefault(title_key(decision.text), decision)
    plans: list[DecisionPlan] = []
    seen: set[str] = set()
    for position, text in enumerate(note.decisions, 1):
        key = title_key(text)
        if key in seen:
            continue
        seen.add(key)
        found = existing.get(key)
        plans.append(DecisionPlan(text, UNCHANGED if found else CREATE,
                                  found.id if found else None, position))
    for key, decision in existing.items():
        if key not in seen:
            plans.append(DecisionPlan(decision.text, REMOVE, decision.id, decision.position))
    return plans


def _participant_names(matches: list[Match]) -> list[str]:
    return sorted({m.person.name for m in matches if m.person is not None})


def _plan_meeting(note: ParsedNote, title: str, meeting, participants: list[Match]) -> MeetingPlan:
    plan = MeetingPlan(CREATE, title, None, None, participants)
    if meeting is None:
        return plan
    plan.meeting_id = meeting.id
    plan.action = UNCHANGED
    if meeting.sha256 == note.sha256:
        return plan  # the very note imported before: what the portal holds now stands
    wanted = {m.person_key for m in participants if m.person is not None}
    have = {f"id:{p.id}" for p in meeting.participants}
    if wanted != have:
        plan.changes["participants"] = (sorted(p.name for p in meeting.participants),
                                        _participant_names(participants))
    if meeting.summary != note.summary:
        plan.changes["summary"] = (meeting.summary, note.summary)
    if list(meeting.key_information or []) != note.key_information:
        plan.changes["key_information"] = (meeting.key_information, note.key_information)
    if meeting.sha256 != note.sha256:
        plan.changes["sha256"] = (meeting.sha256, note.sha256)
    if plan.changes:
        plan.action = UPDATE
    return plan


def fingerprint(plan: ImportPlan) -> str:
    """A hash of everything the plan would write and of the values it would replace.

    The preview carries it to the commit: a different fingerprint on commit means the
    database changed meanwhile (or the note did), and the commit is refused.
    """
    def ref(match: Match | None):
        return None if match is None else [match.kind, match.person_key]

    data = {
        "note": plan.note.sha256,
        "myself": plan.myself_id,
        "meeting": [plan.meeting.action, plan.meeting.meeting_id, plan.meeting.title,
                    str(plan.meeting.date), plan.meeting.date_inferred,
                    sorted(plan.meeting.changes),
                    [ref(m) for m in plan.meeting.participants]],
        "owners": [[o.key, ref(o.match)] for o in plan.owners],
        "items": [[i.line, i.key, i.action, i.item_id, i.version, i.block_id, ref(i.owner),
                   {k: [str(v) for v in pair] for k, pair in i.changes.items()},
                   i.workstream.id if i.workstream else None] for i in plan.items],
        "decisions": [[d.action, d.decision_id, d.text] for d in plan.decisions],
        "people": [[p.key, p.name, p.kind] for p in plan.new_people],
        "aliases": [[a.key, a.person.key, a.person.id] for a in plan.aliases],
        "workstreams": [[w.id, w.name, w.keywords] for w in plan.workstreams],
    }
    encoded = json.dumps(data, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


# --- Applying it ------------------------------------------------------------------------


def _snapshot(item) -> dict:
    values = {name: getattr(item, name) for name in NOTE_FIELDS}
    values["owner"] = item.owner.name if item.owner else None
    values["workstream"] = item.workstream.name if item.workstream else None
    return values


def apply(session: Session, plan: ImportPlan, actor: Actor,
          overrides: dict | None = None) -> ImportResult:
    """Carry ``plan`` out in ``session`` with audit events; the caller commits once.

    With ``overrides`` (the preview's choices) the plan is first rebuilt with them.
    Applying a plan without changes writes nothing at all.
    """
    if overrides:
        plan = build_plan(session, plan.note, myself_id=plan.myself_id,
                          source_name=plan.source_name, overrides=overrides, today=plan.today)
    result = ImportResult(plan=plan, meeting_id=plan.meeting.meeting_id or 0, created_ids=[],
                          updated_ids=[], unchanged=len(plan.unchanged), people_created=[],
                          aliases_added=[], decisions_created=0, decisions_removed=0,
                          meeting_action=plan.meeting.action)
    if not plan.has_changes:
        return result

    # Rows are added in batches and flushed once per kind, then audited with their ids.
    writer = _Writer(session, actor, plan, result)
    writer.create_people()
    writer.remember_aliases()
    meeting = writer.write_meeting()
    result.meeting_id = meeting.id
    writer.write_decisions(meeting)
    try:
        writer.create_items(meeting)
        writer.update_items(meeting)
    except ActionError as error:  # a conflict, or a person or workstream gone meanwhile
        raise NoteError(f"{error.message} Reload the preview.") from None
    session.flush()
    return result


@dataclass
class _Writer:
    """The steps of ``apply``, one per kind of row, sharing the session, the actor, the
    plan, the result they fill in and the people this import creates."""

    session: Session
    actor: Actor
    plan: ImportPlan
    result: ImportResult
    new_people: dict = field(default_factory=dict)

    @property
    def where(self) -> str:
        """Where the note came from, for the audit summaries."""
        return f" (from {self.plan.source_name})" if self.plan.source_name else ""

    def person_id(self, ref: PersonRef | None) -> int | None:
        """The id of a person of the plan: one that exists, or one created just now."""
        if ref is None:
            return None
        return ref.id if ref.id is not None else self.new_people[ref.key].id

    def create_people(self) -> None:
        """The new people the note names, without an email yet (the audit says so)."""
        from portal.people.models import Person

        for ref in self.plan.new_people:
            self.new_people[ref.key] = Person(name=ref.name, name_key=person_key(ref.name),
                                              kind=ref.kind, email=None)
        self.session.add_all(self.new_people.values())
        self.session.flush()
        for ref in self.plan.new_people:
            person = self.new_people[ref.key]
            self.result.people_created.append(person.name)
            record(self.session, self.actor, "person", person.id, "create",
                   summary=f"Created {ref.kind} {person.name} from a meeting note"
                           f"{self.where}; needs an email",
                   after={"name": person.name, "kind": person.kind, "email": None})

    def remember_aliases(self) -> None:
        """The other spellings of people seen in the note, so the next import finds them."""
        from portal.people.models import PersonAlias

        for alias in self.plan.aliases:
            owner_id = self.person_id(alias.person)
            self.session.add(PersonAlias(person_id=owner_id, alias=alias.alias,
                                         alias_key=alias.key))
            self.result.aliases_added.append(f"{alias.alias} → {alias.person.name}")
            record(self.session, self.actor, "person", owner_id, "alias",
                   summary=f"Remembered '{alias.alias}' as another spelling of "
                           f"{alias.person.name}",
                   after={"alias": alias.alias})

    def write_meeting(self):
        """The meeting, created or brought up to date with the note (or left as it is)."""
        from portal.notes.models import Meeting
        from portal.people.models import Person

        note = self.plan.note
        text = repair_text(note.raw_text)[0] if note.repairs else note.raw_text
        ids = [self.person_id(m.person) for m in self.plan.meeting.participants
               if m.person is not None]
        participants = [self.session.get(Person, pid) for pid in dict.fromkeys(ids)]
        if self.plan.meeting.action == CREATE:
            return self._create_meeting(text, participants)
        meeting = self.session.get(Meeting, self.plan.meeting.meeting_id)
        if self.plan.meeting.action == UPDATE:
            self._update_meeting(meeting, text, participants)
        return meeting

    def _create_meeting(self, text: str, participants: list):
        from portal.notes.models import Meeting

        note, planned = self.plan.note, self.plan.meeting
        meeting = Meeting(title=planned.title, date=planned.date,
                          date_inferred=planned.date_inferred, summary=note.summary,
                          key_information=list(note.key_information), raw_text=text,
                          sha256=note.sha256, imported_by_id=self.actor.user_id,
                          participants=participants)
        self.session.add(meeting)
        self.session.flush()
        record(self.session, self.actor, "meeting", meeting.id, "import",
               summary=f"Imported meeting note '{meeting.title}'{self.where}",
               after={"title": meeting.title, "date": meeting.date, "sha256": meeting.sha256,
                      "participants": [p.name for p in participants]})
        return meeting

    def _update_meeting(self, meeting, text: str, participants: list) -> None:
        """The note's summary, key information, text and participants; the audit shows
        the fields that changed."""
        note, changes = self.plan.note, self.plan.meeting.changes
        before = {"sha256": meeting.sha256,
                  "participants": sorted(p.name for p in meeting.participants)}
        after = {"sha256": note.sha256, "participants": sorted(p.name for p in participants)}
        if "summary" in changes:
            before["summary"], after["summary"] = meeting.summary, note.summary
        if "key_information" in changes:
            before["key_information"] = meeting.key_information
            after["key_information"] = list(note.key_information)
        meeting.summary = note.summary
        meeting.key_information = list(note.key_information)
        meeting.raw_text = text
        meeting.sha256 = note.sha256
        meeting.participants = participants
        record(self.session, self.actor, "meeting", meeting.id, "update",
               summary=f"Re-imported meeting note '{meeting.title}'{self.where}",
               before=before, after=after)

    def write_decisions(self, meeting) -> None:
        """The note's new decisions added and those it no longer holds deleted, each
        audited; the new ones once flushed, so that the audit has their ids."""
        from portal.program.models import Decision

        new_decisions = [
            Decision(meeting=meeting, text=d.text, decided_on=meeting.date, position=d.position)
            for d in self.plan.decisions if d.action == CREATE
        ]
        self.session.add_all(new_decisions)
        for planned in self.plan.decisions:
            if planned.action == REMOVE:
                decision = self.session.get(Decision, planned.decision_id)
                self.result.decisions_removed += 1
                record(self.session, self.actor, "decision", decision.id, "delete",
                       summary=f"Decision no longer in '{meeting.title}': {decision.text}",
                       before={"text": decision.text, "decided_on": decision.decided_on})
                self.session.delete(decision)
        self.session.flush()
        for decision in new_decisions:
            self.result.decisions_created += 1
            record(self.session, self.actor, "decision", decision.id, "create",
                   summary=f"Decision from '{meeting.title}': {decision.text}",
                   after={"text": decision.text, "decided_on": decision.decided_on})

    def create_items(self, meeting) -> None:
        """The new items, through the actions area's ``create_item``."""
        for planned in self.plan.created:
            owner_id = self.person_id(planned.owner.person) if planned.set_owner else None
            item = create_item(
                self.session, self.actor, self.plan.today,
                summary=f"Created from '{meeting.title}', line {planned.line}",
                owner_id=owner_id,
                workstream_id=planned.workstream.id if planned.workstream else None,
                meeting_id=meeting.id, source_line=planned.line, block_id=planned.block_id,
                **planned.values)
            self.result.created_ids.append(item.id)

    def update_items(self, meeting) -> None:
        """The changed items, through ``update_item`` at the version the preview read."""
        from portal.actions.models import ActionItem

        for planned in self.plan.updated:
            item = self.session.get(ActionItem, planned.item_id)
            changes = {name: new for name, (_old, new) in planned.changes.items()
                       if name != "owner"}
            if planned.set_owner:
                changes["owner_id"] = self.person_id(planned.owner.person if planned.owner
                                                     else None)
            changes["source_line"] = planned.line
            update_item(self.session, self.actor, item, changes,
                        expected_version=planned.version, today=self.plan.today,
                        summary=f"Updated from '{meeting.title}', line {planned.line}: "
                                + ", ".join(FIELD_LABELS.get(n, n) for n in planned.changes))
            self.result.updated_ids.append(item.id)


# --- The report -----------------------------------------------------------------------


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _meeting_line(plan: ImportPlan, verb: str) -> str:
    """What happens to the meeting, its participants and its decisions."""
    meeting = {CREATE: f"meeting {verb}created", UPDATE: f"meeting {verb}updated",
               UNCHANGED: "meeting unchanged"}[plan.meeting.action]
    decisions_new = sum(1 for d in plan.decisions if d.action == CREATE)
    decisions_gone = sum(1 for d in plan.decisions if d.action == REMOVE)
    return (f"  {meeting}; {_plural(len(plan.note.participants), 'participant')}; "
            f"{_plural(decisions_new, 'decision')} new"
            + (f", {decisions_gone} removed" if decisions_gone else ""))


def _item_lines(plan: ImportPlan) -> list[str]:
    """The items created (with owner and workstream), updated (with their changes) and
    left unchanged."""
    lines = [f"  created: {_plural(len(plan.created), 'action item')}"]
    for item in plan.created:
        owner = f" @{item.owner_name}" if item.owner_name else ""
        ws = f" [{item.workstream.name}]" if item.workstream else ""
        lines.append(f"    line {item.line}: {item.title}{owner}{ws}")
    lines.append(f"  updated: {_plural(len(plan.updated), 'action item')}")
    for item in plan.updated:
        changes = "; ".join(f"{FIELD_LABELS.get(k, k)} {_display(k, a)} -> {_display(k, b)}"
                            for k, (a, b) in item.changes.items())
        lines.append(f"    line {item.line}: {item.title} ({changes})")
    lines.append(f"  unchanged: {_plural(len(plan.unchanged), 'action item')}")
    return lines


def _people_lines(plan: ImportPlan) -> list[str]:
    """The people created, the spellings remembered, and the owners that were not an
    exact match (near, chosen in the preview, or nobody)."""
    lines = []
    if plan.new_people:
        lines.append(f"  new people: {_plural(len(plan.new_people), 'person', 'people')} "
                     "(each needs an email)")
        for ref in plan.new_people:
            lines.append(f"    {ref.name}{' (team)' if ref.kind == 'team' else ''}")
    for alias in plan.aliases:
        lines.append(f"  spelling remembered: '{alias.alias}' is {alias.person.name}")
    for owner in plan.owners:
        if owner.match.kind in (NEAR, CHOSEN, UNRESOLVED):
            lines.append(f"  owner @{owner.written} (line {owner.lines[0]}): "
                         f"{owner.match.explanation}")
    return lines


def _repair_line(plan: ImportPlan) -> str:
    """How many damaged character sequences were repaired, by kind."""
    kinds: dict[str, int] = {}
    for repair in plan.note.repairs:
        kinds[repair.kind] = kinds.get(repair.kind, 0) + 1
    detail = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    return (f"  repaired: {_plural(len(plan.note.repairs), 'damaged character sequence')}"
            + (f" ({detail})" if detail else ""))


def _warning_lines(plan: ImportPlan) -> list[str]:
    lines = [f"  warnings: {len(plan.notices) or 'none'}"]
    for notice in plan.notices:
        where = f"line {notice.line}" if notice.line else "note"
        lines.append(f"    {where}: {notice.message}")
    return lines


def report_lines(plan: ImportPlan, *, dry_run: bool = False) -> list[str]:
    """The import as text, for the command line: created, updated, repaired, warnings."""
    when = f" ({plan.meeting.date.isoformat()})" if plan.meeting.date else ""
    return [
        f"{plan.source_name or 'note'}: {plan.meeting.title}{when}",
        _meeting_line(plan, "would be " if dry_run else ""),
        *_item_lines(plan),
        *_people_lines(plan),
        _repair_line(plan),
        *_warning_lines(plan),
    ]


__all__ = [
    "CREATE", "NEW", "REMOVE", "UNCHANGED", "UPDATE", "ImportPlan", "ImportResult", "NoteError",
    "apply", "build_plan", "check_importable", "choice_value", "report_lines",
]
