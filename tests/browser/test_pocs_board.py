"""The POC board and timeline in Chromium: drag a card, move one by keyboard, read the
timeline. The live server holds the demo data: Microsoft and UKMET on Azure, Zoom on AWS."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import local_today
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


def drag(page, handle, target, dx=40, dy=20):
    """Press on `handle`, move in small steps to (dx, dy) inside `target`, release."""
    box_from, box_to = handle.bounding_box(), target.bounding_box()
    x0, y0 = box_from["x"] + box_from["width"] / 2, box_from["y"] + box_from["height"] / 2
    x1, y1 = box_to["x"] + dx, box_to["y"] + dy
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 21):  # SortableJS needs a few intermediate moves
        page.mouse.move(x0 + (x1 - x0) * step / 20, y0 + (y1 - y0) * step / 20)
    page.mouse.up()


def test_drag_a_card_to_another_hyperscaler(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    drag(page, card(page, "Microsoft").locator(".drag-handle"),
         column(page, "GCP").locator(".poc-list"))
    page.locator(".flash-success", has_text="Moved Microsoft to position 1 on GCP.").wait_for()
    assert column(page, "GCP").locator(".poc-customer").all_inner_texts() == ["Microsoft"]
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET"]
    assert db_columns(live_server)["GCP"] == [("Microsoft", 1)]
    assert db_columns(live_server)["Azure"] == [("UKMET", 1)]


def test_reorder_within_a_column_by_dragging(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    drag(page, card(page, "UKMET").locator(".drag-handle"), card(page, "Microsoft"), 60, 10)
    page.locator(".flash-success", has_text="Moved UKMET to position 1 on Azure.").wait_for()
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET",
                                                                                "Microsoft"]
    assert db_columns(live_server)["Azure"] == [("UKMET", 1), ("Microsoft", 2)]


def test_move_a_card_by_keyboard(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    up = card(page, "UKMET").get_by_role("button", name="Move UKMET up")
    up.focus()
    page.keyboard.press("Enter")
    page.locator(".flash-success", has_text="Moved UKMET to position 1 on Azure.").wait_for()
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET",
                                                                                "Microsoft"]
    # The focus stays on the moved card: "up" is disabled at the top, so "down" has it.
    assert page.evaluate("document.activeElement.id") == card(page, "UKMET").locator(
        "button[id$='-down']").get_attribute("id")
    page.keyboard.press("Enter")
    page.locator(".flash-success", has_text="Moved UKMET to position 2 on Azure.").wait_for()
    assert db_columns(live_server)["Azure"] == [("Microsoft", 1), ("UKMET", 2)]
    # Across columns, by keyboard too.
    card(page, "Zoom").get_by_role("button", name="Move Zoom to the end of GCP").focus()
    page.keyboard.press("Enter")
    page.locator(".flash-success", has_text="Moved Zoom to position 1 on GCP.").wait_for()
    assert db_columns(live_server).get("AWS") is None


def test_stale_board_tells_the_second_lead(page, login, live_server):
    login("lead@example.com")
    page.goto("/pocs")
    with live_server.app.app_context():  # another lead moves UKMET first
        from portal.audit.log import Actor
        from portal.pocs.sequencing import reorder

        ukmet = db.session.scalar(select(Poc).join(Customer).where(Customer.name == "UKMET"))
        reorder(db.session, Actor(name="other"), ukmet.id, ukmet.hyperscaler_id, 1, None)
        db.session.commit()
        db.session.remove()
    card(page, "Microsoft").get_by_role("button", name="Move Microsoft down").click()
    page.locator(".alert-error", has_text="Someone else changed the order").wait_for()
    assert column(page, "Azure").locator(".poc-customer").all_inner_texts() == ["UKMET",
                                                                                "Microsoft"]


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
