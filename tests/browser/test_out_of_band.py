"""Figures a partial change affects are brought up to date with it, out of band: the list's
count chips after an inline due-date or status change; the dashboard's overdue figure and
late-by-owner strip after a change in one of its lists; a workstream's badge and flag after
recording a status, and its readiness after an item in its table is done."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.program.clock import program_today
from portal.program.models import Workstream
from portal.vocab import OPEN_STATUSES
from tests.browser.conftest import settled
from tests.browser.test_actions_flows import first_item

pytestmark = pytest.mark.browser


def _overdue(page) -> int:
    return int(re.match(r"\d+", page.locator('#count-chips [data-count="overdue"]')
                        .inner_text()).group())


def test_the_count_chips_follow_an_inline_change(page, login, live_server):
    item = first_item(live_server, status="proposed")  # open, as the imported items are
    login("lead@example.com")
    page.goto("/actions")
    before = _overdue(page)
    row = page.locator(f"#item-{item.id}")
    with live_server.app.app_context():
        today = program_today()
    late = today - timedelta(days=3)
    was_late = item.due_date is not None and item.due_date < today
    with page.expect_response(f"**/actions/{item.id}/row"):
        row.locator("input[name=due_date]").fill(late.isoformat())
    expected = before if was_late else before + 1
    expect(page.locator('#count-chips [data-count="overdue"]')).to_contain_text(
        f"{expected} overdue")
    status = row.locator("select[name=status]")
    status.focus()
    with page.expect_response(f"**/actions/{item.id}/row"):
        status.select_option("done")
    expect(page.locator('#count-chips [data-count="overdue"]')).to_contain_text(
        f"{expected - 1} overdue")
    assert _overdue(page) == expected - 1


def _mark(page) -> None:
    """A flag on the window that a reload would drop: the update happened in place."""
    page.evaluate("window.notReloaded = true")


def _not_reloaded(page) -> bool:
    return page.evaluate("window.notReloaded === true")


def test_a_dashboard_change_updates_the_overdue_figure_and_the_late_owners(page, login,
                                                                           live_server):
    login("lead@example.com")
    page.goto("/")
    row = page.locator("#overdue tbody tr.item-row").first
    item_id = int(row.get_attribute("id").rsplit("-", 1)[1])
    with live_server.app.app_context():
        item = db.session.get(ActionItem, item_id)
        owner, today = (item.owner_id if item.owner_id else "none"), program_today()
    kpi = page.locator('.kpis [data-count="overdue"]')
    entry = page.locator(f'[data-figure="late-by-owner"] li[data-person-id="{owner}"]')
    overdue, late = int(kpi.inner_text()), int(entry.locator(".late-count").inner_text()
                                               .split()[0])
    _mark(page)
    with page.expect_response(f"**/actions/{item_id}/row"):
        row.locator("input[name=due_date]").fill((today + timedelta(days=10)).isoformat())
    expect(kpi).to_have_text(str(overdue - 1))
    if late > 1:
        expect(entry.locator(".late-count")).to_have_text(f"{late - 1} late")
    else:
        expect(entry).to_have_count(0)
    expect(page.locator("#overdue-head .count")).to_have_text(str(overdue - 1))
    assert _not_reloaded(page)


def _flagged_workstream(live_server) -> int:
    """A workstream reported green while two of its open items are a month late: the page
    flags the disagreement."""
    with live_server.app.app_context():
        today = program_today()
        ws = db.session.scalars(select(Workstream).where(Workstream.archived_at.is_(None))
                                .order_by(Workstream.id)).first()
        ws.rag = "green"
        for item in db.session.scalars(select(ActionItem).where(
                ActionItem.workstream_id == ws.id,
                ActionItem.status.in_(OPEN_STATUSES)).limit(2)):
            item.due_date = today - timedelta(days=30)
        db.session.commit()
        return ws.id


def test_recording_red_updates_the_badge_and_the_flag_in_place(page, login, live_server):
    ws_id = _flagged_workstream(live_server)
    login("lead@example.com")
    page.goto(f"/workstreams/{ws_id}")
    flag = page.locator('#ws-flags [data-flag="disagrees"]')
    expect(flag).to_contain_text("Reported green")
    _mark(page)
    page.select_option("#status select[name=rag]", "red")
    page.fill("#status textarea[name=note]", "Two SRE offers declined")
    page.click("#status button:has-text('Record status')")
    expect(page.locator(".history li").first).to_contain_text("Two SRE offers declined")
    expect(flag).to_have_count(0)
    expect(page.locator("#ws-head-badges .rag-red[title='Owner-reported status']")
           ).to_have_count(1)
    # Back to green: the flag returns, in place.
    page.select_option("#status select[name=rag]", "green")
    page.click("#status button:has-text('Record status')")
    expect(flag).to_contain_text("Reported green")
    assert _not_reloaded(page)


def test_an_item_done_in_a_workstreams_table_moves_its_readiness(page, login, live_server):
    login("lead@example.com")
    with live_server.app.app_context():
        item = db.session.scalars(select(ActionItem).where(
            ActionItem.workstream_id.is_not(None), ActionItem.status.in_(OPEN_STATUSES))
            .order_by(ActionItem.id)).first()
        db.session.expunge(item)
    page.goto(f"/workstreams/{item.workstream_id}")
    figures = page.locator("#readiness-figures")
    before = int(figures.get_attribute("data-percent"))
    shown = page.locator("#readiness-percent")
    expect(shown).to_have_text(f"{before}%")
    _mark(page)
    status = page.locator(f"#items #item-{item.id} select[name=status]")
    status.focus()
    with page.expect_response(f"**/actions/{item.id}/row"):
        status.select_option("done")
    settled(page)
    after = int(figures.get_attribute("data-percent"))
    assert after > before
    expect(shown).to_have_text(f"{after}%")
    assert _not_reloaded(page)
