"""Changes to people and teams: create, edit, aliases. Each takes a session and an
`Actor`, records its audit event in the same session and leaves the commit to the caller."""
from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.audit.log import Actor, diff, record, snapshot
from portal.errors import Conflict, DomainError
from portal.people.models import Person, PersonAlias
from portal.people.names import name_key
from portal.text import one_line
from portal.vocab import PERSON_KINDS

PERSON_FIELDS = ("name", "email", "kind", "timezone")
MAX_NAME = 120
MAX_EMAIL = 254


class PersonError(DomainError):
    """A change to a person that cannot be made."""


def clean_name(name: str | None) -> str:
    name = one_line(name)
    if not name:
        raise PersonError("A name is required (invisible characters do not count).", "name")
    if len(name) > MAX_NAME:
        raise PersonError(f"Keep the name under {MAX_NAME} characters.", "name")
    return name


def clean_email(session: Session, email: str | None, person_id: int | None) -> str | None:
    """A valid address that no one else has, lower-cased; '' means none."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL:
        raise PersonError(f"Keep the address under {MAX_EMAIL} characters.", "email")
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise PersonError(f"Not a valid email address: {error}", "email") from None
    email = email.lower()
    taken = session.scalar(select(Person).where(func.lower(Person.email) == email))
    if taken is not None and taken.id != person_id:
        raise PersonError(f"{taken.name} already has this address.", "email")
    return email


def clean_timezone(timezone: str | None) -> str | None:
    """An IANA zone name (Europe/Berlin) or None."""
    timezone = (timezone or "").strip()
    if not timezone:
        return None
    if timezone not in available_timezones():
        raise PersonError(f"{timezone[:64]!r} is not a time zone; use a name like "
                          "Europe/Berlin or America/New_York.", "timezone")
    ZoneInfo(timezone)
    return timezone


def clean_kind(kind: str | None) -> str:
    if kind not in PERSON_KINDS:
        raise PersonError("Choose person or team.", "kind")
    return kind


def _name_clash(session: Session, key: str, person_id: int | None) -> str | None:
    """The name of another person whose name or alias folds to `key`."""
    other = session.scalar(select(Person).where(Person.name_key == key, Person.id != (person_id
                                                                                       or -1)))
    if other is not None:
        return other.name
    alias = session.scalar(select(PersonAlias).where(PersonAlias.alias_key == key))
    if alias is not None and alias.person_id != person_id:
        return alias.person.name
    return None


def create_person(session: Session, actor: Actor, *, name: str, email: str | None = None,
                  kind: str = "person", timezone: str | None = None) -> Person:
    name = clean_name(name)
    key = name_key(name)
    clash = _name_clash(session, key, None)
    if clash:
        raise PersonError(f"{clash} already has this name or alias.", "name")
    person = Person(name=name, name_key=key, email=clean_email(session, email, None),
                    kind=clean_kind(kind), timezone=clean_timezone(timezone))
    session.add(person)
    session.flush()
    record(session, actor, "person", person.id, "create", summary=f"Added {person.name}",
           after=snapshot(person, PERSON_FIELDS))
    return person


class PersonStale(Conflict):
    """The details were saved by someone else since the form was opened."""


def update_person(session: Session, actor: Actor, person: Person, *, name: str,
                  email: str | None, kind: str, timezone: str | None,
                  version: int | None) -> dict:
    """Edits name, email, kind and time zone, unless the details moved past `version` (the
    one the form was opened at: PersonStale, nothing saved); returns what changed."""
    if version is None or version != person.version:
        raise PersonStale("Someone else changed these details meanwhile.")
    name = clean_name(name)
    key = name_key(name)
    if key != person.name_key:
        clash = _name_clash(session, key, person.id)
        if clash:
            raise PersonError(f"{clash} already has this name or alias.", "name")
    values = {"name": name, "email": clean_email(session, email, person.id),
              "kind": clean_kind(kind), "timezone": clean_timezone(timezone)}
    before = snapshot(person, PERSON_FIELDS)
    for field, value in values.items():
        setattr(person, field, value)
    person.name_key = key
    old, new = diff(before, snapshot(person, PERSON_FIELDS))
    if new:
        # The version moves only from the one the form read: of two saves racing, one wins.
        moved = session.execute(update(Person).where(Person.id == person.id,
                                                     Person.version == version)
                                .values(version=version + 1))
        if moved.rowcount != 1:
            raise PersonStale("Someone else changed these details meanwhile.")
        session.flush()
        session.refresh(person, ["version"])
        record(session, actor, "person", person.id, "update",
               summary=f"Changed {', '.join(new)} of {person.name}", before=old,
               after=new | {"version": person.version})
    return new


def add_alias(session: Session, actor: Actor, person: Person, alias: str) -> PersonAlias:
    """Another spelling of the person's name; alias keys are unique across people."""
    alias = one_line(alias)
    if not alias:
        raise PersonError("Type the other spelling first.", "alias")
    if len(alias) > MAX_NAME:
        raise PersonError(f"Keep an alias under {MAX_NAME} characters.", "alias")
    key = name_key(alias)
    if key == person.name_key:
        raise PersonError("That is already this person's name.", "alias")
    existing = session.scalar(select(PersonAlias).where(PersonAlias.alias_key == key))
    if existing is not None:
        owner = "this person" if existing.person_id == person.id else existing.person.name
        raise PersonError(f"{owner} already has this alias.", "alias")
    other = session.scalar(select(Person).where(Person.name_key == key, Person.id != person.id))
    if other is not None:
        raise PersonError(f"{other.name} is called that; an alias cannot be someone "
                          "else's name.", "alias")
    entry = PersonAlias(person=person, alias=alias, alias_key=key)
    session.add(entry)
    session.flush()
    record(session, actor, "person", person.id, "add_alias",
           summary=f"Added alias “{alias}” to {person.name}", after={"alias": alias})
    return entry


def remove_alias(session: Session, actor: Actor, person: Person, alias_id: int) -> None:
    entry = session.get(PersonAlias, alias_id)
    if entry is None or entry.person_id != person.id:
        raise PersonError("That alias is not this person's (any more).", "alias")
    record(session, actor, "person", person.id, "remove_alias",
           summary=f"Removed alias “{entry.alias}” from {person.name}",
           before={"alias": entry.alias})
    session.delete(entry)
    session.flush()
