"""Resolve the names in a note to Persons, and suggest a workstream for each task.

Owners are matched by name or alias ignoring case and accents (``name_key``).
``@Myself`` is the importing user's Person. A near-duplicate of a known name (a
repeated trailing word, ``Timo Pervane Pervane``, or a one-letter slip) is matched to
that person and reported, never created. Any other name becomes a new Person that
needs an email, or a team when it reads like one (``Legal``, ``Product Marketing``).

Nothing here writes to the database: the resolver reads the people once and hands
back matches, including the people an import *would* create, so that a later name in
the same note (an owner after a participant) resolves to the same new person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.people.models import Person, PersonAlias
from portal.people.names import name_key
from portal.text import keyword_text, one_line

#: The longest name (and name key) a Person holds.
NAME_MAX = 120

#: The mention that means "the person importing the note".
MYSELF = "myself"

#: Names that are teams, whatever the words in them.
KNOWN_TEAMS = frozenset(
    {"legal", "product marketing", "marketing", "finance", "sales", "support", "security",
     "procurement", "it", "hr", "customer success", "sre", "engineering", "operations",
     "product management", "alliances", "partnerships", "pmo", "leadership team"}
)

#: A word that makes a name a team: people are rarely called "Marketing".
TEAM_WORDS = frozenset(
    {"legal", "marketing", "finance", "sales", "support", "security", "compliance",
     "procurement", "engineering", "operations", "ops", "devops", "sre", "team", "teams",
     "department", "office", "committee", "council", "board", "group", "alliances",
     "partnerships", "enablement", "success", "recruiting", "talent", "accounting",
     "leadership", "management", "infrastructure", "platform", "pmo", "revops", "hr",
     "it", "qa", "analytics", "services"}
)

# Match kinds, as shown in the preview and the report.
EXACT = "exact"            # the name or an alias of a known person
MYSELF_KIND = "myself"     # @Myself, the importing user's person
NEAR = "near_duplicate"    # a misspelling of a known (or new) person
NEW = "new"                # a new person or team will be created
UNRESOLVED = "unresolved"  # @Myself with no person to stand for
CHOSEN = "chosen"          # chosen by hand in the preview


@dataclass(frozen=True)
class PersonRef:
    """A person the resolver knows: an existing row (``id``) or one to be created."""

    key: str
    name: str
    kind: str
    id: int | None = None

    @property
    def is_new(self) -> bool:
        return self.id is None


@dataclass(frozen=True)
class Match:
    """How one name written in a note resolves."""

    written: str
    kind: str
    person: PersonRef | None
    explanation: str = ""

    @property
    def person_key(self) -> str | None:
        """A stable id for the target: ``id:<n>``, ``new:<name key>``, or None."""
        if self.person is None:
            return None
        if self.person.id is not None:
            return f"id:{self.person.id}"
        return f"new:{self.person.key}"


def clean_name(written: str) -> str:
    """A name as stored: spaces tidied, cut to the column's size."""
    return one_line(written)[:NAME_MAX]


def person_key(written: str) -> str:
    """The key a written name is matched and stored by (``name_key`` of the clean name)."""
    return name_key(clean_name(written))[:NAME_MAX]


def collapse_repeats(key: str) -> str:
    """``timo pervane pervane`` -> ``timo pervane``: consecutive repeated words once."""
    words: list[str] = []
    for word in key.split():
        if not words or words[-1] != word:
            words.append(word)
    return " ".join(words)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance between a and b, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


#: A word this long may carry a one-letter slip and still be the same name; shorter
#: words differ by one letter between different people (Jon, Jan; Rob, Bob).
TYPO_WORD_MIN = 6


def one_slip_apart(a: str, b: str) -> bool:
    """Two keys that differ by one letter (added, dropped or changed) in one long word,
    with the same first letter: ``timo pervanne`` and ``timo pervane``."""
    words_a, words_b = a.split(), b.split()
    if len(words_a) != len(words_b):
        return False
    different = [(x, y) for x, y in zip(words_a, words_b, strict=True) if x != y]
    if len(different) != 1:
        return False
    x, y = different[0]
    return (min(len(x), len(y)) >= TYPO_WORD_MIN and x[0] == y[0]
            and edit_distance(x, y, 1) == 1)


def slip_signatures(key: str) -> list[tuple[int, str, str]]:
    """Where a one-letter slip may be: per long word, the key with that word blanked
    and the word's first letter. Two keys ``one_slip_apart`` share a signature, so the
    candidates for a name are found without comparing it to every known name."""
    words = key.split()
    return [(index, " ".join(words[:index] + ["*"] + words[index + 1:]), word[0])
            for index, word in enumerate(words) if len(word) >= TYPO_WORD_MIN]


def looks_like_team(name: str, extra_teams: Iterable[str] = ()) -> bool:
    """A known team (or workstream) name, or a name holding a typical team word."""
    key = name_key(name)
    if key in KNOWN_TEAMS or key in {name_key(team) for team in extra_teams}:
        return True
    return any(word in TEAM_WORDS for word in re.split(r"[\s/&,+-]+", key))


@dataclass
class Resolver:
    """Matches names against the people in the database and those an import adds."""

    known: dict[str, PersonRef]
    myself: PersonRef | None = None
    team_names: frozenset[str] = frozenset()
    new_people: dict[str, PersonRef] = field(default_factory=dict)
    _slips: dict[tuple[int, str, str], list[tuple[str, PersonRef]]] = field(
        default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for key, ref in self.known.items():
            self._index(key, ref)

    def _index(self, key: str, ref: PersonRef) -> None:
        for signature in slip_signatures(key):
            self._slips.setdefault(signature, []).append((key, ref))

    def add_new(self, ref: PersonRef) -> None:
        """Register a person the import would create, so later names find them."""
        self.new_people[ref.key] = ref
        self._index(ref.key, ref)

    @classmethod
    def load(cls, session: Session, *, myself_id: int | None = None,
             team_names: Iterable[str] = ()) -> Resolver:
        """Read every person and alias once."""
        known: dict[str, PersonRef] = {}
        by_id: dict[int, PersonRef] = {}
        rows = session.execute(
            select(Person.id, Person.name, Person.name_key, Person.kind).order_by(Person.id)
        ).all()
        for person_id, name, key, kind in rows:
            ref = PersonRef(key=key or name_key(name), name=name, kind=kind, id=person_id)
            by_id[person_id] = ref
            known.setdefault(ref.key, ref)
        for person_id, alias_key in session.execute(
            select(PersonAlias.person_id, PersonAlias.alias_key).order_by(PersonAlias.id)
        ).all():
            if person_id in by_id:
                known.setdefault(alias_key, by_id[person_id])
        myself = by_id.get(myself_id) if myself_id is not None else None
        return cls(known=known, myself=myself,
                   team_names=frozenset(name_key(team) for team in team_names))

    def _lookup(self, key: str) -> PersonRef | None:
        return self.known.get(key) or self.new_people.get(key)

    def _near(self, key: str) -> tuple[PersonRef | None, str]:
        """A unique close match for ``key`` and why, or (None, "")."""
        collapsed = collapse_repeats(key)
        if collapsed != key and (ref := self._lookup(collapsed)):
            return ref, "a word is repeated"
        found: dict[str, PersonRef] = {}
        for signature in slip_signatures(key):
            for candidate_key, ref in self._slips.get(signature, ()):
                if one_slip_apart(key, candidate_key):
                    found[f"id:{ref.id}" if ref.id is not None else f"new:{ref.key}"] = ref
        if len(found) == 1:
            return next(iter(found.values())), "one letter differs"
        return None, ""

    def resolve(self, written: str, *, create: bool = True) -> Match:
        """Match ``written`` (an owner mention or a participant's name).

        With ``create`` an unknown name is registered as a new person, so later names
        in the same note find it.
        """
        key = person_key(written)
        if key == MYSELF:
            if self.myself is None:
                return Match(written, UNRESOLVED, None,
                             "@Myself stands for the importing user, who is not linked to a "
                             "person; choose the owner.")
            return Match(written, MYSELF_KIND, self.myself,
                         f"@Myself is the importing user, {self.myself.name}.")
        if ref := self._lookup(key):
            if ref.is_new:
                return Match(written, NEW, ref, _new_text(ref))
            how = "name" if ref.key == key else "alias"
            return Match(written, EXACT, ref, f"Matched by {how}.")
        ref, why = self._near(key)
        if ref is not None:
            return Match(written, NEAR, ref,
                         f"Matched to {ref.name} ({why}); no new person is created.")
        is_team = looks_like_team(written, self.team_names)
        ref = PersonRef(key=key, name=clean_name(written),
                        kind="team" if is_team else "person")
        if create:
            self.add_new(ref)
        return Match(written, NEW, ref, _new_text(ref))


def _new_text(ref: PersonRef) -> str:
    if ref.kind == "team":
        return "A new team; it needs an email before it gets reminders."
    return "A new person; they need an email before they get reminders."


# --- Workstreams --------------------------------------------------------------------


@dataclass(frozen=True)
class WorkstreamRef:
    id: int
    name: str
    position: int
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    """The workstream suggested for a title, and the keywords that led to it."""

    workstream: WorkstreamRef | None
    keywords: tuple[str, ...] = ()


class WorkstreamSuggester:
    """Suggests a workstream from the keywords each workstream carries.

    A keyword matches as a whole word, ignoring case. The workstream with the most
    distinct matching keywords wins; a tie goes to the one listed first.
    """

    def __init__(self, workstreams: Iterable[WorkstreamRef]):
        self.workstreams = sorted(workstreams, key=lambda ws: (ws.position, ws.id))
        self._patterns = [
            (ws, re.compile(r"(?<!\w)(" + "|".join(map(re.escape, ws.keywords)) + r")(?!\w)",
                            re.IGNORECASE))
            for ws in self.workstreams if ws.keywords
        ]

    @classmethod
    def load(cls, session: Session) -> WorkstreamSuggester:
        from portal.program.models import Workstream

        rows = session.execute(
            select(Workstream.id, Workstream.name, Workstream.position, Workstream.keywords)
            .where(Workstream.archived_at.is_(None))
        ).all()
        return cls(WorkstreamRef(id=ws_id, name=name, position=position or 0,
                                 keywords=tuple(dict.fromkeys(keyword_text(keywords).split())))
                   for ws_id, name, position, keywords in rows)

    def suggest(self, title: str) -> Suggestion:
        best = Suggestion(None)
        for ws, pattern in self._patterns:
            spelled = {keyword.casefold(): keyword for keyword in ws.keywords}
            found = tuple(dict.fromkeys(spelled.get(m.group(1).casefold(), m.group(1))
                                        for m in pattern.finditer(title)))
            if len(found) > len(best.keywords):
                best = Suggestion(ws, found)
        return best

    def by_id(self, workstream_id: int | None) -> WorkstreamRef | None:
        return next((ws for ws in self.workstreams if ws.id == workstream_id), None)
