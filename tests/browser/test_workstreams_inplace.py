"""Workstream page in Chromium: exit criteria ticked in place, the RAG note rule."""
import re

import pytest

pytestmark = pytest.mark.browser


def open_first_workstream(page):
    page.goto("/workstreams")
    page.locator(".ws-table a.ws-name").first.click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/workstreams/\d+$", page.url)


def percent(page) -> int:
    return int(page.locator("#readiness-percent").inner_text().rstrip("%"))


def test_tick_a_criterion_in_place_and_the_percentage_follows(page, login):
    login("lead@example.com")
    open_first_workstream(page)
    # A criterion of our own, added in place, so the test does not depend on the seed.
    page.fill("#readiness input[name=text]", "Browser-added criterion")
    page.click("#readiness button:has-text('Add criterion')")
    row = page.locator(".criterion", has_text="Browser-added criterion")
    row.wait_for()
    url_before = page.url
    before = percent(page)
    row.locator("button.crit-box").click()
    page.locator(".criterion[data-done=true]", has_text="Browser-added criterion").wait_for()
    after = percent(page)
    assert after > before
    assert page.url == url_before  # swapped in place, no navigation
    # And untick again.
    row = page.locator(".criterion", has_text="Browser-added criterion")
    row.locator("button.crit-box").click()
    page.locator(".criterion[data-done=false]", has_text="Browser-added criterion").wait_for()
    assert percent(page) == before


def test_red_without_a_note_shows_the_message(page, login):
    login("lead@example.com")
    open_first_workstream(page)
    page.select_option("#status select[name=rag]", "red")
    page.fill("#status textarea[name=note]", "")
    page.click("#status button:has-text('Record status')")
    message = page.locator("#status ul.field-errors#note-msg")
    message.wait_for()
    assert "note is required" in message.inner_text()
    assert page.locator("#status textarea[name=note]").get_attribute("aria-invalid") == "true"
    # With a note it is recorded and shows at the top of the history.
    page.fill("#status textarea[name=note]", "Two SRE offers declined")
    page.click("#status button:has-text('Record status')")
    page.locator(".history li").first.wait_for()
    assert "Two SRE offers declined" in page.locator(".history li").first.inner_text()
    # The head badges followed (out-of-band swap): the reported status is now red.
    assert page.locator("#ws-head-badges .rag-red[title='Owner-reported status']").count() == 1
