"""The dashboard's "Overdue, by owner" strip, as a lead and on a phone: under the figures on a
laptop, first on a phone, and each owner leads to exactly their overdue items."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_owner_in_the_strip_leads_to_their_late_items(page, login):
    login("lead@example.com")
    page.goto("/")
    strip = page.locator('[data-figure="late-by-owner"]')
    expect(strip.get_by_role("heading", name="Overdue, by owner")).to_be_visible()
    first = strip.locator("li a").first
    late = int(re.search(r"(\d+) overdue", first.inner_text()).group(1))
    name = first.locator("strong").inner_text()
    # Under the figures: below the readiness figure, above the workstream cards.
    figures = page.locator(".kpis").bounding_box()
    box = strip.bounding_box()
    assert box["y"] > figures["y"] + figures["height"] - 1
    assert box["y"] < page.locator("#workstreams").bounding_box()["y"]
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/actions?owner=*overdue=1*")
    rows = page.locator("#results tbody tr.item-row")
    expect(rows).to_have_count(late)
    for owner in rows.locator('[data-label="Owner"]').all_inner_texts():
        assert name in owner


def test_on_a_phone_the_strip_comes_first(page, login):
    page.set_viewport_size({"width": 390, "height": 844})
    login("lead@example.com")
    page.goto("/")
    strip = page.locator('[data-figure="late-by-owner"]').bounding_box()
    assert strip["y"] < page.locator(".kpis").bounding_box()["y"]
    assert strip["y"] < 844  # on the first screen
