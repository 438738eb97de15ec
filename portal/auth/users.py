"""Domain functions for logins: create (always as a person), invite, authenticate,
change role or person, deactivate, set a password, and the password links by mail."""
from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.audit.log import Actor, record
from portal.auth import security
from portal.auth.models import User, UserSession
from portal.clock import utcnow
from portal.errors import DomainError
from portal.notes.resolve import EXACT, NEAR, Resolver
from portal.people import service as people_service
from portal.people.models import Person
from portal.text import one_line
from portal.vocab import ROLES


class UserError(DomainError):
    """A user change that cannot be made; the message is for the person who asked."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def clean_login_email(email: str | None) -> str:
    """A valid address, lower-cased; UserError otherwise."""
    email = (email or "").strip()
    if not email or len(email) > 254:
        raise UserError("Enter the email address the person signs in with.")
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise UserError(f"Not a valid email address: {error}") from None


def login_of(session: Session, person_id: int) -> User | None:
    return session.scalar(select(User).where(User.person_id == person_id))


def _unlinked(session: Session, person: Person) -> Person:
    """`person`, unless another login already acts as them."""
    other = login_of(session, person.id)
    if other is not None:
        raise UserError(f"{person.name} already has a login ({other.email}); a person has "
                        "one login at most.")
    return person


def person_for_login(session: Session, actor: Actor, *, email: str, name: str) -> Person:
    """The person a new login acts as, so that one human is one person.

    The person with this email; else the person whose name or alias matches `name` by the
    importer's rules (case, accents, a repeated word, a one-letter slip in a long word);
    else a new person. A matched person without an email gets this one. A person who has
    another address, or another login, is refused with a message saying so."""
    person = session.scalar(select(Person).where(func.lower(Person.email) == email))
    if person is None:
        match = Resolver.load(session).resolve(name, create=False)
        if match.kind in (EXACT, NEAR) and match.person and match.person.id is not None:
            person = session.get(Person, match.person.id)
            if person.email and person.email.lower() != email:
                raise UserError(
                    f"{person.name} is already in the portal with another address "
                    f"({person.email}). Use that address, or change it on their page first.")
    if person is None:
        try:
            return people_service.create_person(session, actor, name=name, email=email)
        except people_service.PersonError as error:
            raise UserError(error.message) from error
    _unlinked(session, person)
    if not person.email:
        people_service.update_person(session, actor, person, name=person.name, email=email,
                                     kind=person.kind, timezone=person.timezone,
                                     version=person.version)
    return person


def create_user(
    session: Session, actor: Actor, *, email: str, name: str, role: str,
    password: str | None, person_id: int | None = None, must_change_password: bool = False,
) -> User:
    """A new login, linked to `person_id` or else to the person `person_for_login` finds
    or creates. Without a password the login cannot sign in until it is invited.
    Refuses duplicates and unknown roles."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    email = clean_login_email(email)
    name = one_line(name)
    if not name:
        raise UserError("Enter the person's name.")
    if find_by_email(session, email):
        raise UserError(f"A login for {email} already exists.")
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise UserError("That person does not exist (any more).")
        _unlinked(session, person)
    else:
        person = person_for_login(session, actor, email=email, name=name)
    user = User(email=email, name=name, role=role, person_id=person.id,
                must_change_password=must_change_password)
    user.set_password(password if password else secrets.token_urlsafe(32))
    session.add(user)
    session.flush()
    record(session, actor, "user", user.id, "create",
           summary=f"Created login {user.email} ({role}) for {person.name}",
           after={"email": user.email, "role": role, "person_id": person.id})
    return user


def link_person(session: Session, actor: Actor, user: User, person_id: int) -> None:
    """Makes `user` act as another person, one who has no login; that person gets the
    login's email when they have none."""
    person = session.get(Person, person_id)
    if person is None:
        raise UserError("That person does not exist (any more).")
    if person.id == user.person_id:
        return
    _unlinked(session, person)
    before = user.person_id
    user.person_id = person.id
    if not person.email and not session.scalar(
            select(Person.id).where(func.lower(Person.email) == user.email)):
        people_service.update_person(session, actor, person, name=person.name,
                                     email=user.email, kind=person.kind,
                                     timezone=person.timezone, version=person.version)
    record(session, actor, "user", user.id, "link_person",
           summary=f"Login {user.email} now acts as {person.name}",
           before={"person_id": before}, after={"person_id": person.id})


def invite(session: Session, actor: Actor, person: Person, role: str, now: datetime) -> User:
    """A login for `person` that waits for them to choose a password from the invitation
    mail. A login never used yet is (re)invited, and an older link stops working; a
    person who already signed in, or whose login is deactivated, is refused. The caller queues the
    mail (see `portal.auth.mail`) and commits."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if not person.email:
        raise UserError(f"{person.name} has no email address yet; add one first.")
    if person.is_team:
        raise UserError(f"{person.name} is a team; invite the people in it instead.")
    user = login_of(session, person.id)
    if user is None:
        user = create_user(session, actor, email=person.email, name=person.name, role=role,
                           password=None, person_id=person.id)
    elif not user.active:
        raise UserError(f"The login of {person.name} is deactivated; an administrator can "
                        "reactivate it on the Users page.")
    elif user.last_login_at is not None:
        raise UserError(f"{person.name} already signs in as {user.email}. If they forgot "
                        "their password, “Forgot your password?” on the sign-in page sends "
                        "them a new link.")
    else:
        user.set_password(secrets.token_urlsafe(32))  # an older invitation stops working
        if user.role != role:
            record(session, actor, "user", user.id, "update",
                   summary=f"Role of {user.email} set to {role}",
                   before={"role": user.role}, after={"role": role})
            user.role = role
    user.invited_at = now
    record(session, actor, "user", user.id, "invite",
           summary=f"Invited {person.name} ({user.email}) to sign in as {role}")
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str,
                 address: str | None = None, roles: Collection[str] | None = None) -> User | None:
    """The active user with this email and password, else None (never says which failed).
    `roles`, when given, are the only roles that may sign in with a password. Either way it
    goes to the security log."""
    user = find_by_email(session, email or "")
    if user is None:
        # Spend the same time as a real check, so timing does not reveal known emails.
        User(password_hash="").set_password(password or "")  # nosec B106
        security.log(session, "sign_in_failed", email=email, address=address)
        return None
    if not user.check_password(password or "") or not user.active:
        security.log(session, "sign_in_failed", user=user, address=address,
                     detail="" if user.active else "the login is deactivated")
        return None
    if roles is not None and user.role not in roles:
        security.log(session, "sign_in_failed", user=user, address=address,
                     detail=f"password sign-in is for {', '.join(roles)} logins only")
        return None
    user.last_login_at = utcnow()
    security.log(session, "sign_in", user=user, address=address)
    return user


def update_user(session: Session, actor: Actor, user: User, *, role: str, active: bool) -> None:
    """Change role or active flag; deactivation ends the user's sessions at once."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}.")
    if actor.user_id == user.id and (not active or role != user.role):
        raise UserError("You cannot change your own role or deactivate yourself.")
    before = {"role": user.role, "active": user.active}
    user.role = role
    if user.active and not active:
        end_all_sessions(session, user)
    user.active = active
    record(session, actor, "user", user.id, "update", summary=f"Updated login {user.email}",
           before=before, after={"role": role, "active": active})


def set_password(
    session: Session, actor: Actor, user: User, password: str, *, must_change: bool,
    kind: str = "password_changed", address: str | None = None,
) -> None:
    """New password; every session of the user ends (the caller starts a new one for the
    person who chose it)."""
    user.set_password(password)
    user.must_change_password = must_change
    end_all_sessions(session, user)
    by = "" if actor.user_id in (None, user.id) else f"by {actor.name}"
    security.log(session, kind, user=user, address=address, detail=by)


def end_all_sessions(session: Session, user: User) -> None:
    """Signs the user out everywhere: their sessions' rows go, and the session version
    moves, so no cookie of theirs matches any more."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    user.session_version += 1


def choose_password(session: Session, user: User, purpose: str, password: str,
                    address: str | None = None) -> None:
    """The person behind an invitation or reset link sets their password and is signed
    in (the caller starts the session and commits). The link is spent with it."""
    set_password(session, Actor(user_id=user.id, person_id=user.person_id, via="mail",
                                name=user.name),
                 user, password, must_change=False, kind="password_set_by_link",
                 address=address)
    user.last_login_at = utcnow()
