"""The security log: who signed in or failed to or was refused (by password or single sign-on),
throttling, logins linked to the identity provider and its errors, sign-outs, password changes.
Only admins read it (/admin/security); the program's activity log never shows it."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.auth.models import SecurityEvent, User
from portal.pagination import Page, clamp_page


def well_formed(email: str | None) -> str | None:
    """The typed address, lower-cased, when it is a well-formed address; else None, so
    that a password typed into the email field is never stored."""
    text = (email or "").strip()
    if not text or len(text) > 254:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def log(session: Session, kind: str, *, user: User | None = None, email: str | None = None,
        address: str | None = None, detail: str = "") -> SecurityEvent:
    """Adds a security event to `session` (the caller commits)."""
    event = SecurityEvent(kind=kind, user_id=user.id if user else None,
                          email=user.email if user else well_formed(email),
                          address=(address or "")[:64] or None, detail=detail[:300])
    session.add(event)
    return event


PER_PAGE = 50


def events(session: Session, kind: str | None, page: int) -> Page[SecurityEvent]:
    """One page of the security log, newest first, of one kind or all (two statements)."""
    clauses = [SecurityEvent.kind == kind] if kind else []
    total = session.scalar(select(func.count(SecurityEvent.id)).where(*clauses)) or 0
    page = clamp_page(page, total, PER_PAGE)
    items = list(session.scalars(
        select(SecurityEvent).where(*clauses).options(joinedload(SecurityEvent.user))
        .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return Page(items=items, page=page, per_page=PER_PAGE, total=total)
