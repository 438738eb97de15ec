"""Signed mail links: mark done and snooze work once, GET changes nothing, expired,
tampered, reused and foreign tokens are refused; changes are audited via the mail."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from itsdangerous import URLSafeTimedSerializer

from portal.actions.models import ActionItem
from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.auth import users
from portal.clock import reading_date, utcnow
from portal.extensions import db
from portal.reminders import links
from tests.factories import PASSWORD, make_item, make_person


@pytest.fixture
def item(app):
    owner = make_person("Olga Owner")
    entry = make_item("Sign the <DPA>", owner_id=owner.id,
                      due_date=date.today() + timedelta(days=1))
    db.session.commit()
    return entry


def token_for(app, item, action="done", now=None, person_id=None):
    return links.make_token(app.config["SECRET_KEY"], item, action,
                            person_id or item.owner_id, now)


def fresh(item_id):
    db.session.expire_all()
    return db.session.get(ActionItem, item_id)


def test_get_shows_a_confirmation_and_changes_nothing(app, client, item):
    response = client.get(f"/mail/{token_for(app, item)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Mark done?" in html and "Sign the &lt;DPA&gt;" in html
    assert 'method="post"' in html
    assert fresh(item.id).status == "open"
    assert fresh(item.id).version == item.version


def test_mark_done_works_once_and_is_audited_as_the_owner_via_mail(app, client, item):
    token = token_for(app, item)
    response = client.post(f"/mail/{token}")
    assert response.status_code == 200
    assert "Marked done" in response.get_data(as_text=True)
    done = fresh(item.id)
    assert done.status == "done" and done.done_date is not None
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_id == item.id)
                               .order_by(AuditEvent.id.desc())).first()
    assert (event.via, event.actor_person_id, event.actor_user_id) == ("mail", item.owner_id, None)
    assert event.after["status"] == "done"
    again = client.post(f"/mail/{token}")
    assert again.status_code == 409
    assert "already used" in again.get_data(as_text=True)
    assert client.get(f"/mail/{token}").status_code == 409


def test_snooze_moves_the_due_date_three_days_once(app, client, item):
    due = item.due_date
    token = token_for(app, item, "snooze")
    page = client.get(f"/mail/{token}").get_data(as_text=True)
    assert "Snooze 3 days?" in page
    assert client.post(f"/mail/{token}").status_code == 200
    assert fresh(item.id).due_date == due + timedelta(days=3)
    assert fresh(item.id).status == "open"
    assert client.post(f"/mail/{token}").status_code == 409
    assert fresh(item.id).due_date == due + timedelta(days=3)


def test_the_snooze_confirmation_says_from_when_it_counts(app, client, item):
    """Snoozing counts from the due date when it is still ahead, else from today: the page
    says which, with the date it sets."""
    page = client.get(f"/mail/{token_for(app, item, 'snooze')}").get_data(as_text=True)
    new_due = reading_date(item.due_date + timedelta(days=3))
    assert f"<strong>{new_due}</strong>, 3 days after its due date" in page
    late = make_item("Overdue one", owner_id=item.owner_id,
                     due_date=date.today() - timedelta(days=5))
    db.session.commit()
    page = client.get(f"/mail/{token_for(app, late, 'snooze')}").get_data(as_text=True)
    assert ", 3 days after today" in page and "after its due date" not in page


def test_a_changed_item_kills_its_links(app, client, item):
    token = token_for(app, item)
    item.title = "Sign the DPA, v2"
    db.session.commit()
    response = client.post(f"/mail/{token}")
    assert response.status_code == 409
    assert fresh(item.id).status == "open"


def test_expired_links_are_refused(app, client, item):
    issued = utcnow() - timedelta(days=15)
    token = token_for(app, item, now=issued)
    response = client.post(f"/mail/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert fresh(item.id).status == "open"
    # Thirteen days old still works.
    assert client.get(f"/mail/{token_for(app, item, now=utcnow() - timedelta(days=13))}"
                      ).status_code == 200


def test_expiry_follows_the_clock(app, client, item):
    with time_machine.travel(datetime(2026, 3, 1, 12, 0), tick=False):
        token = token_for(app, item)
    with time_machine.travel(datetime(2026, 3, 14, 12, 0), tick=False):
        assert client.get(f"/mail/{token}").status_code == 200
    with time_machine.travel(datetime(2026, 3, 15, 12, 1), tick=False):
        assert client.get(f"/mail/{token}").status_code == 410


def test_tampered_and_foreign_tokens_are_refused(app, client, item):
    token = token_for(app, item)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    foreign_key = links.make_token("another-secret", item, "done", item.owner_id)
    other_purpose = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(
        {"i": item.id, "a": "done", "p": item.owner_id, "v": item.version})
    someone_else = token_for(app, item, person_id=item.owner_id + 1000)
    for bad in (tampered, foreign_key, other_purpose, "x" * 600, "garbage"):
        response = client.post(f"/mail/{bad}")
        assert response.status_code == 400, bad
        assert "not valid" in response.get_data(as_text=True)
    assert client.post(f"/mail/{someone_else}").status_code == 409
    assert fresh(item.id).status == "open"


def test_a_link_is_for_its_item_only(app, client, item):
    other = make_item("Other item", owner_id=item.owner_id, due_date=item.due_date)
    db.session.commit()
    client.post(f"/mail/{token_for(app, item)}")
    assert fresh(other.id).status == "open"
    assert fresh(item.id).status == "done"


def test_links_work_without_login_and_with_csrf(app_factory, item):
    strict = app_factory(WTF_CSRF_ENABLED=True)
    with strict.app_context():
        token = links.make_token(strict.config["SECRET_KEY"], fresh(item.id), "done",
                                 item.owner_id)
    client = strict.test_client()
    assert client.post(f"/mail/{token}").status_code == 400  # no CSRF token: refused
    page = client.get(f"/mail/{token}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(f"/mail/{token}", data={"csrf_token": csrf}).status_code == 200
    assert fresh(item.id).status == "done"


def test_a_used_link_says_where_the_item_stands_now(app, client, item):
    """The "already used" page shows the status, owner and due date now; the link to the
    item only for a person who can sign in."""
    token = token_for(app, item, "snooze")
    assert client.post(f"/mail/{token}").status_code == 200
    moved = fresh(item.id).due_date
    again = client.get(f"/mail/{token}")
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "already used" in html
    assert "Sign the &lt;DPA&gt;" in html and "Status now" in html
    assert re.search(r'data-now="status">.*Open', html)
    assert 'data-now="owner">Olga Owner<' in html
    assert f'<time datetime="{moved.isoformat()}">{moved.strftime("%d %b %Y")}</time>' in html
    assert f'href="/actions/{item.id}"' not in html  # Olga has no login
    users.create_user(db.session, Actor(via="cli"), email="olga@example.com",
                      name="Olga Owner", role="owner", password=PASSWORD,
                      person_id=item.owner_id)
    db.session.commit()
    html = client.get(f"/mail/{token}").get_data(as_text=True)
    assert f'href="/actions/{item.id}"' in html and "Open the item in the portal" in html


def test_a_link_to_a_closed_item_shows_it_closed(app, client, item):
    token = token_for(app, item, "snooze")
    item.status = "done"
    db.session.commit()
    html = client.get(f"/mail/{token}").get_data(as_text=True)
    assert re.search(r'data-now="status">.*Done', html)
