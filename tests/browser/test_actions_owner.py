"""Owner selects list their current choice only: a row's loads everyone when first reached,
then saves in place; the filter's loads after the page, the bulk bar's when reached."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.people.models import Person

pytestmark = pytest.mark.browser


def test_change_an_owner_in_the_row(page, login, live_server):
    with live_server.app.app_context():
        item = db.session.scalars(select(ActionItem).order_by(ActionItem.id)).first()
        item_id, old_owner = item.id, item.owner.name
        owner_id, version = item.owner_id, item.version
        yancey = db.session.scalar(select(Person.id).where(Person.name == "Yancey"))
    login("lead@example.com")
    # A person's page: the table alone, without the list page's filter (which loads
    # everyone after the page).
    page.goto(f"/people/{owner_id}")
    owner = page.locator(f"#item-{item_id} select[name=owner]")
    assert owner.locator("option").count() == 1  # only the current owner
    expect(owner).to_have_value(str(owner_id))
    with page.expect_response(lambda r: "/actions/owner-options" in r.url):
        owner.focus()
    expect(owner.locator("option")).not_to_have_count(1)
    expect(owner.locator("option:checked")).to_have_text(old_owner)
    expect(owner.locator("option", has_text="Nobody yet")).to_have_count(1)
    with page.expect_response(lambda r: f"/actions/{item_id}/row" in r.url):
        owner.select_option(label="Yancey")
    row = page.locator(f"#item-{item_id}")
    expect(row).to_have_attribute("data-version", str(version + 1))
    expect(row.locator("select[name=owner] option:checked")).to_have_text("Yancey")
    with live_server.app.app_context():
        assert db.session.get(ActionItem, item_id).owner_id == yancey


def test_filter_and_bulk_owner_selects_load_everyone(page, login, live_server):
    with live_server.app.app_context():
        people = db.session.scalar(select(func.count(Person.id)))
        yancey = db.session.scalar(select(Person.id).where(Person.name == "Yancey"))
    login("lead@example.com")
    with page.expect_response(lambda r: "/actions/owner-options" in r.url):
        page.goto("/actions")
    # The filter's select fills after the page loads, without being reached first.
    expect(page.locator("#f-owner option")).to_have_count(people + 2)
    expect(page.locator("#f-owner option").first).to_have_text("Any owner")
    expect(page.locator("#f-owner option").nth(1)).to_have_text("Unassigned")
    with page.expect_response(lambda r: f"owner={yancey}" in r.url):
        page.select_option("#f-owner", label="Yancey")
    page.wait_for_url(f"**owner={yancey}**")
    # The bulk bar's owner select, once reached, lists everyone after its own blank.
    page.goto("/actions")
    ids = [int(i) for i in page.locator("#results tbody tr.item-row").evaluate_all(
        "rs => rs.slice(0, 2).map(r => r.dataset.itemId)")]
    assert len(ids) == 2
    for item_id in ids:
        page.check(f"#item-{item_id} input[name=ids]")
    page.select_option("#bulk-action", "owner")
    bulk_owner = page.locator("#bulk-owner")
    bulk_owner.focus()
    # Its own "Choose…" and the explicit "Nobody" first, then everyone.
    expect(bulk_owner.locator("option")).to_have_count(people + 2)
    expect(bulk_owner.locator("option").first).to_have_text("Choose…")
    expect(bulk_owner.locator("option").nth(1)).to_have_text("Nobody (unassign)")
    bulk_owner.select_option(label="Yancey")
    page.once("dialog", lambda dialog: dialog.accept())  # "Change owner: Yancey for 2 items?"
    page.click("#bulk-form button[type=submit]")
    page.locator(".flash-success").wait_for()
    with live_server.app.app_context():
        owners = set(db.session.scalars(select(ActionItem.owner_id).where(
            ActionItem.id.in_(ids))))
    assert owners == {yancey}
