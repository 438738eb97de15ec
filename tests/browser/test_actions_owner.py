"""The owner select of a row loads everyone when first reached, then saves in place."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.people.models import Person

pytestmark = pytest.mark.browser


def test_change_an_owner_in_the_row(page, login, live_server):
    with live_server.app.app_context():
        item = db.session.scalars(select(ActionItem).order_by(ActionItem.id)).first()
        item_id, old_owner = item.id, item.owner.name
        yancey = db.session.scalar(select(Person.id).where(Person.name == "Yancey"))
    login("lead@example.com")
    page.goto("/actions")
    owner = page.locator(f"#item-{item_id} select[name=owner]")
    assert owner.locator("option").count() == 2  # nobody, and the current owner
    expect(owner.locator("option:checked")).to_have_text(old_owner)
    with page.expect_response(lambda r: "/actions/owner-options" in r.url):
        owner.focus()
    expect(owner.locator("option")).not_to_have_count(2)
    expect(owner.locator("option:checked")).to_have_text(old_owner)
    with page.expect_response(lambda r: f"/actions/{item_id}/row" in r.url):
        page.locator(f"#item-{item_id} select[name=owner]").select_option(label="Yancey")
    expect(page.locator(f"#item-{item_id} select[name=owner] option:checked")).to_have_text(
        "Yancey")
    with live_server.app.app_context():
        assert db.session.get(ActionItem, item_id).owner_id == yancey
