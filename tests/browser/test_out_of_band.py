"""Figures a row's change affects are brought up to date with it, out of band: the list's
count chips after an inline due-date or status change."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.program.clock import program_today
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
