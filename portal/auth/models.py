"""User: a login with a role, linked to the Person it acts as."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.clock import utcnow
from portal.extensions import db
from portal.vocab import ROLES, SECURITY_EVENTS, check_in

if TYPE_CHECKING:
    from portal.people.models import Person


#: How passwords are hashed: Werkzeug's scrypt at its default cost. A stored hash names
#: its own method and cost, so changing this applies to new passwords and old ones still
#: check; the tests lower the cost, which is all their time would otherwise go to.
HASH_METHOD = "scrypt"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    # A sign-in's stamp changes no kept page (portal.pagecache); the people page that shows
    # it is not kept.
    __page_neutral__ = frozenset({"last_login_at"})
    __table_args__ = (
        sa.CheckConstraint(check_in("role", ROLES), name="role"),
        sa.CheckConstraint("(oidc_issuer IS NULL) = (oidc_subject IS NULL)",
                           name="oidc_identity"),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Bumped on deactivation and password change: older sessions stop matching.
    session_version: Mapped[int] = mapped_column(default=1)
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # When the latest invitation went out; the login has no usable password until its
    # person follows the link and chooses one.
    invited_at: Mapped[datetime | None]
    # The person's account at the single sign-on provider: its issuer and subject name the
    # login from the first SSO sign-in on, whatever the email the provider sends later.
    oidc_issuer: Mapped[str | None] = mapped_column(sa.String(255))
    oidc_subject: Mapped[str | None] = mapped_column(sa.String(255))

    person: Mapped[Person | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=HASH_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def invitation_pending(self) -> bool:
        """Invited, and has not yet chosen a password and signed in."""
        return self.invited_at is not None and self.last_login_at is None

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def deactivated_login(person_id) -> sa.Exists:
    """SQL: the person (an id or a person id column) has a login that is deactivated. Such
    a person left the program: no reminders, no calendar feed, no working mail links."""
    return sa.select(User.id).where(User.person_id == person_id, User.active.is_(False)).exists()


class UserSession(db.Model):
    """A signed-in browser session. The session cookie names its row; signing out deletes
    the row, so a copy of the cookie stops working too, while the user's other devices
    stay signed in."""

    __tablename__ = "user_session"
    # A new session has pages of its own; ending one must drop what its cookie was shown.
    __page_neutral__ = frozenset({"insert"})

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The ID token of a single sign-on session, the hint the provider's sign-out asks for.
    id_token: Mapped[str | None] = mapped_column(sa.Text)


class SecurityEvent(db.Model):
    """Sign-ins, failures, throttling, sign-outs and password changes: the security log,
    which only admins read. Apart from the program's activity (AuditEvent)."""

    __tablename__ = "security_event"
    __page_neutral__ = True  # read only on the admins' log, which is not kept
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", SECURITY_EVENTS), name="kind"),
        sa.Index("ix_security_event_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    # The address typed at a failed sign-in, only when it is a well-formed address.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.String(300), default="")

    user: Mapped[User | None] = relationship()
