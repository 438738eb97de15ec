"""Domain functions for logins: create, authenticate, change role, deactivate, reset."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.audit.log import Actor, record
from portal.auth.models import User
from portal.clock import utcnow
from portal.vocab import ROLES


class UserError(ValueError):
    """A user change that cannot be made; the message is for the person who asked."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(
    session: Session, actor: Actor, *, email: str, name: str, role: str, password: str,
    person_id: int | None = None, must_change_password: bool = False,
) -> User:
    """A new login; refuses duplicates and unknown roles."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if find_by_email(session, email):
        raise UserError(f"A login for {email} already exists.")
    user = User(
        email=normalise_email(email), name=name.strip(), role=role, person_id=person_id,
        must_change_password=must_change_password,
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    record(session, actor, "user", user.id, "create",
           summary=f"Created login {user.email} ({role})",
           after={"email": user.email, "role": role})
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else None (never says which failed)."""
    user = find_by_email(session, email or "")
    if user is None:
        # Spend the same time as a real check, so timing does not reveal known emails.
        User(password_hash="").set_password(password or "")  # nosec B106
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    user.last_login_at = utcnow()
    record(session, Actor(user_id=user.id, person_id=user.person_id, via="web", name=user.name),
           "user", user.id, "login", summary=f"{user.email} signed in")
    return user


def record_failed_login(session: Session, email: str, address: str | None) -> None:
    """Audits a failed sign-in (the email as typed, never the password)."""
    user = find_by_email(session, email or "")
    record(session, Actor(via="web", name="anonymous"), "user", user.id if user else None,
           "login_failed", summary=f"Failed sign-in for {(email or '')[:200]} from {address}")


def record_lockout(session: Session, email: str, address: str | None) -> None:
    """Audits a sign-in refused by the throttle."""
    user = find_by_email(session, email or "")
    record(session, Actor(via="web", name="anonymous"), "user", user.id if user else None,
           "login_throttled", summary=f"Sign-in throttled for {(email or '')[:200]} from {address}")


def update_user(session: Session, actor: Actor, user: User, *, role: str, active: bool) -> None:
    """Change role or active flag; deactivation ends the user's sessions at once."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}.")
    if actor.user_id == user.id and (not active or role != user.role):
        raise UserError("You cannot change your own role or deactivate yourself.")
    before = {"role": user.role, "active": user.active}
    user.role = role
    if user.active and not active:
        user.session_version += 1
    user.active = active
    record(session, actor, "user", user.id, "update", summary=f"Updated login {user.email}",
           before=before, after={"role": role, "active": active})


def set_password(
    session: Session, actor: Actor, user: User, password: str, *, must_change: bool
) -> None:
    """New password; other sessions of the user end."""
    user.set_password(password)
    user.must_change_password = must_change
    user.session_version += 1
    record(session, actor, "user", user.id, "password",
           summary=f"{'Reset' if must_change else 'Changed'} password of {user.email}")
