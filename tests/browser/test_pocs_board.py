"""The POC board and timeline in Chromium: drag a card (native drag and drop), open a card
and move it by keyboard, change a stage, the same without JavaScript, read the timeline.
The live server holds the demo data: Microsoft and UKMET on Azure, Zoom on AWS."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import local_today
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.pocs.models import Customer, Poc

pytestmark = pytest.mark.browser


def db_columns(live_server) -> dict[str, list[tuple[str, int]]]:
    from tests.unit.test_pocs_helpers import columns

    with live_server.app.app_context():
        result = columns()
        db.session.remove()
        return result


def card(page, customer):
    return page.locator(".poc-card", has=page.locator(".poc-customer", has_text=customer))


def column(page, name):
    return page.locator(f'.board-col[data-hyperscaler="{name}"]')


def drag(page, customer, target, y=5):
    """Drags `customer`'s card by its handle and drops it `y` px below the top of `target`
    (native HTML5 drag and drop: Playwright drives Chromium's drag events)."""
    card(page, customer).locator(".drag-handle").drag_to(
        target, target_position={"x": 40, "y": y})


def wait_for_focus(page, attribute, value):
    """Waits until the focused element's `attribute` is `value` (pocs.js puts the focus
    back once htmx has settled the swap)."""
    page.wait_for_function(
        "([name, value]) => document.activeElement && "
        "document.activeElement.getAttribute(name) === value", arg=[attribute, value])


def open_card(page, customer):
    """Opens a card's controls from the keyboard; the focus stays on its link."""
    card(page, customer).get_by_role("link", name=f"Move {customer} or change its stage").focus()
    page.keyboard.press("Enter")
    card(page, customer).locator(".poc-tools").wait_for()
    wait_for_focus(page, "aria-label", f"Close the controls of {customer}")


def test_drag_a_card_to_another_hyperscaler(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    drag(page, "Microsoft", column(page, "GCP").locator(".poc-list"))
    page.locator(".flash-success", has_text="Moved Microsoft to position 1 on GCP.").wait_for()
    assert column(page, "GCP").locator(".poc-customer").all_inner_texts() == ["Microsoft"]
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET"]
    assert db_columns(live_server)["GCP"] == [("Microsoft", 1)]
    assert db_columns(live_server)["Azure"] == [("UKMET", 1)]
    assert page.locator(".drop-indicator, .is-dragging, .is-drop-target").count() == 0


def test_reorder_within_a_column_by_dragging(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    drag(page, "UKMET", card(page, "Microsoft"), y=5)  # the top half of Microsoft's card
    page.locator(".flash-success", has_text="Moved UKMET to position 1 on Azure.").wait_for()
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET",
                                                                                "Microsoft"]
    assert db_columns(live_server)["Azure"] == [("UKMET", 1), ("Microsoft", 2)]
    # Dropped on the lower half of the last card: the end of the column.
    box = card(page, "Microsoft").bounding_box()
    drag(page, "UKMET", card(page, "Microsoft"), y=box["height"] - 5)
    page.locator(".flash-success", has_text="Moved UKMET to position 2 on Azure.").wait_for()
    assert db_columns(live_server)["Azure"] == [("Microsoft", 1), ("UKMET", 2)]


def drag_over(page, x, y):
    """Moves the pressed mouse to (x, y) while dragging, then by one more pixel: Chromium
    holds back a drag-over event while the page handles the previous one, and the extra
    move makes sure one is sent from the final place."""
    page.mouse.move(x, y, steps=5)
    page.mouse.move(x + 1, y)


def test_drop_indicator_follows_the_pointer(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    handle = card(page, "Zoom").locator(".drag-handle").bounding_box()
    page.mouse.move(handle["x"] + 5, handle["y"] + 5)
    page.mouse.down()
    target = card(page, "Microsoft").bounding_box()
    drag_over(page, target["x"] + 40, target["y"] + 10)
    # Above Microsoft, the first card of Azure; the dragged card is dimmed.
    column(page, "Azure").locator(".poc-list > li:first-child.drop-indicator").wait_for()
    card(page, "Zoom").and_(page.locator(".is-dragging")).wait_for()
    assert column(page, "Azure").locator(".poc-list.is-drop-target").count() == 1
    target = card(page, "UKMET").bounding_box()
    drag_over(page, target["x"] + 40, target["y"] + target["height"] - 5)
    column(page, "Azure").locator(".poc-list > li:last-child.drop-indicator").wait_for()
    assert page.locator(".drop-indicator").count() == 1
    page.mouse.up()
    page.locator(".flash-success", has_text="Moved Zoom to position 3 on Azure.").wait_for()
    assert db_columns(live_server)["Azure"] == [("Microsoft", 1), ("UKMET", 2), ("Zoom", 3)]
    assert page.locator(".drop-indicator, .is-dragging, .is-drop-target").count() == 0


def test_move_a_card_by_keyboard(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    assert page.locator(".poc-tools").count() == 0  # closed cards carry no controls
    open_card(page, "UKMET")
    page.keyboard.press("Tab")
    wait_for_focus(page, "aria-label", "Move UKMET up")
    page.keyboard.press("Enter")
    page.locator(".flash-success", has_text="Moved UKMET to position 1 on Azure.").wait_for()
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET",
                                                                                "Microsoft"]
    # The card stays open and the focus on it: "up" is disabled at the top, so "down" has it.
    wait_for_focus(page, "aria-label", "Move UKMET down")
    page.keyboard.press("Enter")
    page.locator(".flash-success", has_text="Moved UKMET to position 2 on Azure.").wait_for()
    assert db_columns(live_server)["Azure"] == [("Microsoft", 1), ("UKMET", 2)]
    # At the bottom now, so "up" has the focus; wait for it to land there before moving on,
    # or it could land after the next focus below and take the next key press.
    wait_for_focus(page, "aria-label", "Move UKMET up")
    # Across columns, by keyboard too.
    open_card(page, "Zoom")
    card(page, "Zoom").get_by_role("button", name="Move Zoom to the end of GCP").focus()
    page.keyboard.press("Enter")
    page.locator(".flash-success", has_text="Moved Zoom to position 1 on GCP.").wait_for()
    assert db_columns(live_server).get("AWS") is None
    # Its buttons there are disabled or gone: the focus is on the card, still open.
    wait_for_focus(page, "id", card(page, "Zoom").get_attribute("id"))
    # Closing the card: the focus stays on its link.
    page.keyboard.press("Tab")  # the customer's link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Close"
    page.keyboard.press("Enter")
    card(page, "Zoom").get_by_role("link", name="Move Zoom or change its stage").wait_for()
    wait_for_focus(page, "aria-label", "Move Zoom or change its stage")
    assert page.locator(".poc-tools").count() == 0


def test_change_the_stage_from_a_card(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    open_card(page, "Zoom")
    card(page, "Zoom").get_by_label("Stage of Zoom on AWS").select_option("running")
    card(page, "Zoom").get_by_role("button", name="Set").click()
    page.locator(".flash-success", has_text="Zoom on AWS is now running.").wait_for()
    assert card(page, "Zoom").get_attribute("data-stage") == "running"
    with live_server.app.app_context():
        stage = db.session.scalar(select(Poc.stage).join(Customer).where(Customer.name == "Zoom"))
        db.session.remove()
    assert stage == "running"


def _other_lead_moves_ukmet_first(live_server):
    with live_server.app.app_context():
        from portal.audit.log import Actor
        from portal.pocs.sequencing import reorder

        ukmet = db.session.scalar(select(Poc).join(Customer).where(Customer.name == "UKMET"))
        reorder(db.session, Actor(name="other"), ukmet.id, ukmet.hyperscaler_id, 1, None)
        db.session.commit()
        db.session.remove()


def test_stale_board_tells_the_second_lead(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    open_card(page, "Microsoft")
    _other_lead_moves_ukmet_first(live_server)
    card(page, "Microsoft").get_by_role("button", name="Move Microsoft down").click()
    page.locator(".alert-error", has_text="Someone else changed the order").wait_for()
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET",
                                                                                "Microsoft"]
    assert db_columns(live_server)["Azure"] == [("UKMET", 1), ("Microsoft", 2)]


def test_opening_a_card_on_a_stale_board_shows_the_board_as_it_is(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    _other_lead_moves_ukmet_first(live_server)
    card(page, "Microsoft").get_by_role("link", name="Move Microsoft or change its stage").click()
    page.locator(".flash-success", has_text="The board changed since you loaded it").wait_for()
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET",
                                                                                "Microsoft"]
    assert card(page, "Microsoft").locator(".poc-tools").is_visible()


def test_move_and_change_stage_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("input[name=email]", "lead@example.com")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.goto("/pocs")
        card(page, "UKMET").get_by_role("link", name="Move UKMET or change its stage").click()
        page.wait_for_url("**/pocs?card=*")
        card(page, "UKMET").get_by_role("button", name="Move UKMET up").click()
        page.locator(".flash-success", has_text="Moved UKMET to position 1 on Azure.").wait_for()
        assert "card=" in page.url  # the card is still open
        card(page, "UKMET").get_by_label("Stage of UKMET on Azure").select_option("confirmed")
        card(page, "UKMET").get_by_role("button", name="Set").click()
        page.locator(".flash-success", has_text="UKMET on Azure is now confirmed.").wait_for()
        assert db_columns(live_server)["Azure"] == [("UKMET", 1), ("Microsoft", 2)]
    finally:
        context.close()


def test_read_the_timeline(page, login, live_server):
    with live_server.app.app_context():
        today = local_today()
        for poc in db.session.scalars(select(Poc)):
            poc.planned_start = today + timedelta(days=10 * poc.id)
            poc.planned_end = poc.planned_start + timedelta(days=30)
        db.session.commit()
        db.session.remove()
    login("exec@example.com")
    page.goto("/pocs/timeline")
    svg = page.locator("svg.timeline")
    assert svg.is_visible()
    assert svg.locator("rect.tl-bar").count() == 3
    assert svg.locator(".tl-today line").count() == 1
    assert svg.locator(".tl-today text").text_content() == "Today"
    assert svg.locator(".tl-milestone").count() >= 1
    assert "3 of 3 POCs have planned dates" in page.locator("figcaption").inner_text()
    table = page.locator(".timeline-data table").first
    assert not table.is_visible()
    page.get_by_text("The timeline as a table").click()
    assert table.is_visible()
    rows = table.locator("tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").nth(2).inner_text() == "Microsoft"


def _box(locator) -> tuple[int, int]:
    box = locator.bounding_box()
    return round(box["width"]), round(box["height"])


def test_touch_screens_get_no_drag_hint_and_large_targets(browser, live_server):
    """On a phone (touch, no hover) the board neither explains nor offers dragging, and
    every control of a card is at least 44×44 px; a laptop keeps both and its compact
    controls."""
    from tests.browser.conftest import sign_in

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                                is_mobile=True, has_touch=True)
    page = sign_in(phone.new_page(), "lead@example.com")
    page.goto("/pocs")
    assert page.locator(".board-hint").is_visible()
    assert not page.locator(".hint-drag").is_visible()
    assert not page.locator(".drag-handle").first.is_visible()
    assert "Open a card with “Move…”" in page.locator(".board-hint").inner_text()
    move = card(page, "Microsoft").get_by_role("link", name="Move Microsoft or change its stage")
    width, height = _box(move)
    assert width >= 44 and height >= 44, (width, height)
    move.click()
    card(page, "Microsoft").locator(".poc-tools").wait_for()
    controls = page.locator(".poc-tools button, .poc-tools select, .rank-form button, "
                            ".poc-open, .poc-customer a")
    sizes = [_box(controls.nth(i)) for i in range(controls.count())]
    assert len(sizes) > 8 and all(w >= 44 and h >= 44 for w, h in sizes), sizes
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()

    laptop = browser.new_context(base_url=live_server.url,
                                 viewport={"width": 1440, "height": 900})
    page = sign_in(laptop.new_page(), "lead@example.com")
    page.goto("/pocs")
    assert page.locator(".hint-drag").is_visible()
    assert page.locator(".drag-handle").first.is_visible()
    assert _box(page.locator(".poc-open").first)[1] < 44
    laptop.close()
