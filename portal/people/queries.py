"""Read-side queries of the people area: the list of people and teams with their counts."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.actions import queries as action_queries
from portal.actions.models import ActionItem
from portal.pagination import Page, clamp_page
from portal.people.models import Person, PersonAlias
from portal.people.names import name_key
from portal.vocab import OPEN_STATUSES

PER_PAGE = 50


def _without_email():
    return or_(Person.email.is_(None), Person.email == "")


def people_page(session: Session, q: str, missing: bool, page: int, today: date) -> Page:
    """People and teams with their open and overdue item counts (SQL aggregates)."""
    counts = (
        select(ActionItem.owner_id.label("owner_id"),
               func.count(case((ActionItem.status.in_(OPEN_STATUSES), 1))).label("open"),
               func.count(case((action_queries.overdue_clause(today), 1))).label("overdue"))
        .where(ActionItem.owner_id.is_not(None))
        .group_by(ActionItem.owner_id).subquery()
    )
    clauses = []
    if q:
        key = name_key(q)
        pattern = f"%{key.replace('%', '').replace('_', '')}%"
        clauses.append(or_(Person.name_key.like(pattern), func.lower(Person.email).like(pattern),
                           Person.id.in_(select(PersonAlias.person_id)
                                         .where(PersonAlias.alias_key.like(pattern)))))
    if missing:
        clauses.append(_without_email())
    total = session.scalar(select(func.count(Person.id)).where(*clauses)) or 0
    page = clamp_page(page, total, PER_PAGE)
    stmt = (
        select(Person, func.coalesce(counts.c.open, 0), func.coalesce(counts.c.overdue, 0))
        .outerjoin(counts, counts.c.owner_id == Person.id)
        .where(*clauses)
        .options(selectinload(Person.aliases))
        # Those who cannot be reminded first, so they get fixed.
        .order_by(case((_without_email(), 0), else_=1), Person.kind, Person.name, Person.id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )
    rows = list(session.execute(stmt).all())
    return Page(items=rows, page=page, per_page=PER_PAGE, total=total)


def missing_email_count(session: Session) -> int:
    """How many people and teams have no email (and so get no reminders)."""
    return session.scalar(select(func.count(Person.id)).where(_without_email())) or 0
