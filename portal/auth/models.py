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
from portal.vocab import ROLES, check_in

if TYPE_CHECKING:
    from portal.people.models import Person


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (sa.CheckConstraint(check_in("role", ROLES), name="role"),)

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

    person: Mapped[Person | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def invitation_pending(self) -> bool:
        """Invited, and has not yet chosen a password and signed in."""
        return self.invited_at is not None and self.last_login_at is None

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
