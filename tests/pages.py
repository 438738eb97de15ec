"""The portal's main pages and who may open them: the list that the accessibility test
(tests/browser/test_accessibility.py) and the HTML validity test
(tests/web/test_html_validity.py) both walk, over the living demo: with changes in the
activity log, status notes, a trend and digests in the outbox, so that every part of a
page is drawn."""
from __future__ import annotations

from sqlalchemy import select

from portal.demo import DEMO_LOGINS, rebase_offset, seed_demo

ROLES = [role for _, _, role, _ in DEMO_LOGINS]  # admin, lead, owner, executive
EMAILS = {role: email for email, _, role, _ in DEMO_LOGINS}
EVERYONE = frozenset(ROLES)
LEADS = frozenset({"admin", "lead"})
ADMIN = frozenset({"admin"})

# path (with the demo's ids filled in by `page_ids`) -> the roles that may open it
PAGES: dict[str, frozenset[str]] = {
    "/": EVERYONE,
    "/actions": EVERYONE,
    "/actions/{item}": EVERYONE,
    "/workstreams": EVERYONE,
    "/workstreams/{workstream}": EVERYONE,
    "/pocs": EVERYONE,
    "/pocs/{poc}": EVERYONE,
    "/pocs/timeline": EVERYONE,
    "/pocs/hyperscalers": EVERYONE,
    "/pocs/customers": EVERYONE,
    "/pocs/customers/{customer}": EVERYONE,
    "/pocs/link-item/{item}": LEADS,
    "/people": EVERYONE,
    "/people/{person}": EVERYONE,
    "/summary": EVERYONE,
    "/activity": EVERYONE,
    "/program": EVERYONE,
    "/program/milestones": EVERYONE,
    "/account/password": EVERYONE,
    "/imports/new": LEADS,
    "/outbox": LEADS,
    "/outbox/{message}": LEADS,
    "/admin/users": ADMIN,
    "/admin/security": ADMIN,
    "/settings/reminders": ADMIN,
}
SIGNED_OUT_PAGES = ["/login", "/password/forgot"]


def pages_for(role: str) -> list[str]:
    return [path for path, roles in PAGES.items() if role in roles]


def page_ids(session) -> dict[str, int]:
    """The ids the paths name: an item listed on the dashboard, the first workstream, POC,
    customer, person and outbox message of the demo."""
    from portal.actions.models import ActionItem
    from portal.people.models import Person
    from portal.pocs.models import Customer, Poc
    from portal.program.models import Workstream
    from portal.reminders.models import OutboxMessage

    def first(model):
        return session.scalars(select(model.id).order_by(model.id).limit(1)).one()

    return {"item": first(ActionItem), "workstream": first(Workstream), "poc": first(Poc),
            "customer": first(Customer), "person": first(Person), "message": first(OutboxMessage)}


def seed_living_demo(session, config) -> None:
    """`flask seed-demo --rebase-to-today`, then `flask reminders run` (commits)."""
    from portal.clock import utcnow
    from portal.program.clock import program_today
    from portal.reminders import outbox

    today = program_today()
    seed_demo(session, offset_days=rebase_offset(today), living=True, today=today)
    session.commit()
    outbox.run(session, config, utcnow())
    session.commit()
