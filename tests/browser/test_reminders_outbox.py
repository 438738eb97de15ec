"""The outbox in Chromium: a logged digest and its rendered preview; a mail link's
confirmation page."""
from __future__ import annotations

from datetime import datetime, time

import pytest
import sqlalchemy as sa

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.people.models import Person
from portal.reminders import links, outbox
from portal.vocab import OPEN_STATUSES

pytestmark = pytest.mark.browser


def _log_a_digest(app):
    """Runs the reminders on the due day of the first remindable demo item."""
    with app.app_context():
        item = db.session.scalars(
            sa.select(ActionItem).join(Person, Person.id == ActionItem.owner_id)
            .where(ActionItem.status.in_(OPEN_STATUSES), ActionItem.due_date.is_not(None),
                   Person.email.is_not(None))
            .order_by(ActionItem.due_date)).first()
        now = datetime.combine(item.due_date, time(12, 0))
        result = outbox.run(db.session, app.config, now)
        assert result.logged >= 1
        return item.id, item.title, item.owner.email


def test_outbox_shows_a_logged_message_and_its_preview(page, login, live_server):
    item_id, title, email = _log_a_digest(live_server.app)
    login("lead@example.com")
    page.click(".nav a:has-text('Outbox')")
    page.wait_for_url("**/outbox")
    row = page.locator("tr[data-state=logged]", has_text=email)
    assert row.count() == 1
    assert "Logged" in row.locator(".state").inner_text()
    row.locator("a", has_text="Preview").click()
    page.wait_for_url("**/outbox/*")
    frame = page.frame_locator("iframe.mail-preview")
    assert title in frame.locator("body").inner_text()
    assert frame.locator("a", has_text="Mark done").count() >= 1
    page.click("summary:has-text('Plain-text part')")
    assert "Mark done:" in page.locator(".text-part pre").inner_text()


def test_mail_link_confirmation_then_done(page, live_server):
    app = live_server.app
    with app.app_context():
        item = db.session.scalars(sa.select(ActionItem).where(
            ActionItem.status.in_(OPEN_STATUSES), ActionItem.owner_id.is_not(None))).first()
        token = links.make_token(app.config["SECRET_KEY"], item, "done", item.owner_id)
        item_id, status = item.id, item.status
    page.goto(f"/mail/{token}")
    assert page.locator("h1").inner_text() == "Mark done?"
    with app.app_context():
        assert db.session.get(ActionItem, item_id).status == status
    page.click("button:has-text('Mark done')")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Marked done"
    with app.app_context():
        assert db.session.get(ActionItem, item_id).status == "done"
    page.goto(f"/mail/{token}")
    assert "Nothing was changed" in page.locator("h1").inner_text()
