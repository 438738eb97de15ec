"""The action list in Chromium: active search and back, inline edits, bulk shift, conflict."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.actions.models import ActionItem
from portal.extensions import db
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def first_item(live_server, **where):
    with live_server.app.app_context():
        stmt = select(ActionItem).order_by(ActionItem.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(ActionItem, name) == value)
        item = db.session.scalars(stmt).first()
        db.session.expunge(item)
        return item


def reload_item(live_server, item_id):
    with live_server.app.app_context():
        item = db.session.get(ActionItem, item_id)
        db.session.expunge(item)
        return item


def rows(page):
    return page.locator("#results tbody tr.item-row")


def test_filtering_then_back(page, login):
    login("lead@example.com")
    page.goto("/actions")
    total = rows(page).count()
    assert total >= 10
    page.locator("#q").press_sequentially("salesforce", delay=20)  # keyup drives the search
    page.wait_for_url("**/actions?q=salesforce")
    expect(rows(page)).not_to_have_count(total)
    narrowed = rows(page).count()
    assert 0 < narrowed < total
    for title in rows(page).locator(".item-title").all_inner_texts():
        assert "salesforce" in title.lower()
    page.check("label.chip-done input", force=True)  # another history entry
    page.wait_for_url("**status=done**")
    expect(rows(page)).not_to_have_count(narrowed)
    page.go_back()
    page.wait_for_url("**/actions?q=salesforce")
    expect(rows(page)).to_have_count(narrowed)
    assert page.input_value("#q") == "salesforce"
    assert not page.is_checked("label.chip-done input")
    page.go_back()
    page.wait_for_url("**/actions")
    expect(rows(page)).to_have_count(total)
    assert page.input_value("#q") == ""


def test_inline_status_change(page, login, live_server):
    item = first_item(live_server)
    login("lead@example.com")
    page.goto("/actions")
    row = page.locator(f"#item-{item.id}")
    status = row.locator("select[name=status]")
    # The select carries only the current status until it is reached.
    assert status.locator("option").count() == 1
    status.hover()
    expect(status.locator("option")).to_have_count(5)
    expect(status).to_have_value(item.status)
    with page.expect_response(f"**/actions/{item.id}/row") as response:
        status.select_option("in_progress")
    assert response.value.status == 200
    expect(row).to_have_attribute("data-status", "in_progress")
    expect(row).to_have_attribute("data-version", str(item.version + 1))
    assert reload_item(live_server, item.id).status == "in_progress"
    # The page did not reload: the filter field keeps what one typed.
    assert page.url.endswith("/actions")


def test_priority_and_due_date_in_the_row(page, login, live_server):
    item = first_item(live_server)
    login("lead@example.com")
    page.goto("/actions")
    row = page.locator(f"#item-{item.id}")
    priority = row.locator("select[name=priority]")
    priority.focus()
    expect(priority.locator("option")).to_have_count(6)
    with page.expect_response(f"**/actions/{item.id}/row"):
        priority.select_option(label="Lowest")
    expect(row).to_have_attribute("data-priority", "lowest")
    with page.expect_response(f"**/actions/{item.id}/row"):
        row.locator("input[name=due_date]").fill("2031-03-04")
    expect(row).to_have_attribute("data-version", str(item.version + 2))
    expect(row.locator("input[name=due_date]")).to_have_value("2031-03-04")
    saved = reload_item(live_server, item.id)
    assert (saved.priority, saved.due_date.isoformat()) == ("lowest", "2031-03-04")


def test_invalid_inline_date(page, login, live_server):
    item = first_item(live_server)
    login("lead@example.com")
    page.goto("/actions")
    row = page.locator(f"#item-{item.id}")
    date_input = row.locator("input[name=due_date]")
    # A date picker cannot produce 2025-02-30; a hand-edited request can: send one.
    with page.expect_response(f"**/actions/{item.id}/row") as response:
        date_input.evaluate("el => { el.type = 'text'; el.value = '2025-02-30'; "
                            "el.dispatchEvent(new Event('change', {bubbles: true})); }")
    assert response.value.status == 422
    # Wait for the swapped row (its class settles after the swap), not for time.
    expect(row).to_have_class(re.compile(r"\brow-invalid\b"))
    expect(row.locator(".cell-error")).to_contain_text("2025-02-30 is not a date that exists")
    expect(row.locator("input[name=due_date]")).to_have_attribute("aria-invalid", "true")
    assert reload_item(live_server, item.id).due_date == item.due_date


def test_stale_row_edit_shows_the_conflict_in_the_row(page, login, live_server, browser):
    item = first_item(live_server)
    login("lead@example.com")
    page.goto("/actions")
    # Someone else (the admin, in another browser) changes the item's priority first.
    other = browser.new_context(base_url=live_server.url)
    other_page = other.new_page()
    sign_in(other_page, "admin@example.com")
    other_page.goto("/actions")
    theirs = other_page.locator(f"#item-{item.id} select[name=priority]")
    theirs.hover()
    with other_page.expect_response(f"**/actions/{item.id}/row"):
        theirs.select_option("highest")
    other.close()
    # Our row still shows the old version: our status change is refused, in the row.
    row = page.locator(f"#item-{item.id}")
    status = row.locator("select[name=status]")
    status.hover()
    with page.expect_response(f"**/actions/{item.id}/row") as response:
        status.select_option("done")
    assert response.value.status == 409
    expect(row).to_have_class(re.compile(r"\brow-conflict\b"))
    note = row.locator(".row-conflict-note")
    expect(note).to_contain_text("Not saved: changed meanwhile.")
    expect(note).to_contain_text("Portal Admin")
    expect(row).to_have_attribute("data-priority", "highest")  # their value, shown now
    saved = reload_item(live_server, item.id)
    assert (saved.status, saved.priority) == (item.status, "highest")
    # Changing it again, from the row as it is now, saves.
    status.hover()
    with page.expect_response(f"**/actions/{item.id}/row") as response:
        status.select_option("done")
    assert response.value.status == 200
    expect(row).to_have_attribute("data-status", "done")


def test_quick_successive_edits_of_one_row_do_not_conflict(page, login, live_server):
    item = first_item(live_server)
    login("lead@example.com")
    page.goto("/actions")
    row = page.locator(f"#item-{item.id}")
    row.locator("select[name=status]").hover()
    row.locator("select[name=priority]").hover()
    # Both changes before either answer: the second waits for the first's new version.
    row.evaluate("""tr => {
        const status = tr.querySelector('select[name=status]');
        const priority = tr.querySelector('select[name=priority]');
        status.value = 'in_progress';
        status.dispatchEvent(new Event('change', {bubbles: true}));
        priority.value = 'low';
        priority.dispatchEvent(new Event('change', {bubbles: true}));
    }""")
    expect(row).to_have_attribute("data-version", str(item.version + 2))
    expect(row).to_have_attribute("data-status", "in_progress")
    expect(row).to_have_attribute("data-priority", "low")
    assert "row-conflict" not in row.get_attribute("class")


def test_bulk_shift_of_due_dates_asks_first_and_can_be_undone(page, login, live_server):
    login("lead@example.com")
    page.goto("/actions?sort=due")
    ids = [int(v) for v in rows(page).evaluate_all(
        "rs => rs.slice(0, 3).map(r => r.dataset.itemId)")]
    before = {i: reload_item(live_server, i).due_date for i in ids}
    for item_id in ids:
        page.check(f"#item-{item_id} input[name=ids]")
    page.select_option("#bulk-action", "shift")
    page.fill("#bulk-days", "7")
    apply = page.locator("#bulk-form button[type=submit]")
    expect(apply).to_have_text("Apply to 3 items")
    asked = []

    def answer(accept):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handle

    page.once("dialog", answer(False))  # "Cancel": nothing is sent
    apply.click()
    page.wait_for_load_state("networkidle")
    assert asked and "for 3 items?" in asked[0]
    assert all(reload_item(live_server, i).due_date == before[i] for i in ids)
    page.once("dialog", answer(True))
    apply.click()
    page.locator(".flash-success").wait_for()
    assert "3 items changed" in page.locator(".flash-success").inner_text()
    for item_id in ids:
        assert reload_item(live_server, item_id).due_date == before[item_id] + timedelta(days=7)
    assert page.url.endswith("/actions?sort=due") or page.url.endswith("/actions")
    # The change is offered for undoing, and undoing puts every date back.
    expect(page.locator(".bulk-undo")).to_contain_text("3 items changed")
    page.locator(".bulk-undo button").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".bulk-undo")).to_have_count(0)
    for item_id in ids:
        assert reload_item(live_server, item_id).due_date == before[item_id]


def test_conflict_message(page, login, live_server, browser):
    item = first_item(live_server)
    login("lead@example.com")
    page.goto(f"/actions/{item.id}")
    # Someone else (the admin, in another browser) saves first.
    other = browser.new_context(base_url=live_server.url)
    other_page = other.new_page()
    sign_in(other_page, "admin@example.com")
    other_page.goto(f"/actions/{item.id}")
    other_page.select_option("#edit select[name=status]", "done")
    other_page.click("#edit button[type=submit]")
    other_page.wait_for_load_state("networkidle")
    other.close()
    # Our save started from the older version.
    page.fill("#edit input[name=title]", "My better title")
    with page.expect_response(f"**/actions/{item.id}") as response:
        page.click("#edit button[type=submit]")
    assert response.value.status == 409
    panel = page.locator("#conflict")
    panel.wait_for()
    text = panel.inner_text()
    assert "yours was not saved" in text and "Portal Admin" in text
    assert "Done" in text  # their status, beside ours
    assert page.input_value("#edit input[name=title]") == "My better title"
    saved = reload_item(live_server, item.id)
    assert saved.status == "done" and saved.title == item.title


@pytest.mark.parametrize("javascript", [True, False])
def test_row_controls_are_live_only_with_javascript(browser, live_server, javascript):
    """Rows save through portal.js; without it their controls read as values and the title
    leads to the item's own form."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/actions")
        status = page.locator("tr.item-row select[name=status]").first
        events = status.evaluate("el => getComputedStyle(el).pointerEvents")
        assert events == ("auto" if javascript else "none")
        page.locator("tr.item-row a.item-title").first.click()
        page.wait_for_url(re.compile(r"/actions/\d+$"))
        assert page.locator("form select[name=status]").count() >= 1  # the edit form
    finally:
        context.close()


def test_a_status_conflict_keeps_to_its_card(page, login, live_server):
    """Two tabs set one item's status: the later one's conflict table (theirs beside
    yours) fits the narrow status card; it widened the page past the window."""
    item = first_item(live_server, status="proposed")
    login("lead@example.com")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/actions/{item.id}")
    other = page.context.new_page()
    other.goto(f"/actions/{item.id}")
    other.select_option("#new-status", "cancelled")
    other.click("#item-status button[type=submit]")
    other.wait_for_load_state("networkidle")
    page.select_option("#new-status", "in_progress")
    with page.expect_response(lambda r: r.url.endswith("/status")) as answer:
        page.click("#item-status button[type=submit]")
    assert answer.value.status == 409
    expect(page.locator("#item-status table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    card = page.locator("#item-status").bounding_box()
    table = page.locator("#item-status table").bounding_box()
    assert table["x"] + table["width"] <= card["x"] + card["width"]
