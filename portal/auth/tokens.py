"""Signed links that let a person choose a password: invitations and password resets.

A token names one login and what it is for, and carries a fingerprint of the login's
password hash and session version. It is signed with SECRET_KEY (itsdangerous) and
expires (an invitation after 7 days, a reset after 2 hours). It is single-use without any
stored state: choosing a password changes the hash, so the fingerprint no longer matches;
a new invitation or reset also changes it, so only the newest link works.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from portal.auth.models import User

SALT = "portal.auth.password-link"
LIFETIMES = {"invite": timedelta(days=7), "reset": timedelta(hours=2)}


class TokenError(Exception):
    """The link cannot be used; the message says why, for the page, with an HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PasswordLink:
    user: User
    purpose: str

    @property
    def lifetime(self) -> timedelta:
        return LIFETIMES[self.purpose]


def _fingerprint(user: User) -> str:
    material = f"{user.id}:{user.password_hash}:{user.session_version}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, user: User, purpose: str) -> str:
    """A signed, expiring, single-use link token for `purpose` ("invite" or "reset")."""
    if purpose not in LIFETIMES:
        raise ValueError(purpose)
    return _serializer(secret_key).dumps({"u": user.id, "p": purpose, "f": _fingerprint(user)})


def read_token(session: Session, secret_key: str, token: str, now: datetime) -> PasswordLink:
    """The login and purpose of a valid token; TokenError for a tampered, expired, used
    or superseded one, or one whose login was deactivated."""
    if not token or len(token) > 500:
        raise TokenError("This link is not valid.")
    try:
        payload, issued = _serializer(secret_key).loads(token, return_timestamp=True)
        user_id, purpose, fingerprint = int(payload["u"]), str(payload["p"]), str(payload["f"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise TokenError("This link is not valid. It may have been changed or cut short.") \
            from error
    if purpose not in LIFETIMES:
        raise TokenError("This link is not valid.")
    if (now if now.tzinfo else now.replace(tzinfo=UTC)) - issued > LIFETIMES[purpose]:
        what = "Invitations" if purpose == "invite" else "Password reset links"
        days = LIFETIMES[purpose]
        span = f"{days.days} days" if days.days else f"{days.seconds // 3600} hours"
        raise TokenError(f"This link has expired: {what.lower()} work for {span}. "
                         "Ask a program lead for a new one, or use “Forgot your password?”.",
                         410)
    user = session.get(User, user_id)
    if user is None:
        raise TokenError("The login of this link no longer exists.", 404)
    if not user.active:
        raise TokenError("This login is deactivated. Ask an administrator if you need it "
                         "again.", 403)
    if fingerprint != _fingerprint(user):
        raise TokenError("This link was already used, or a newer one was sent since. Sign in, "
                         "or use “Forgot your password?” for a new link.", 410)
    return PasswordLink(user=user, purpose=purpose)
