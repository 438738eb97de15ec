"""Workstream page in Chromium: exit criteria ticked in place, the RAG note rule, a stale
edit from two pages showing the other change beside the user's own values, and the lead
select loading everyone when reached."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.extensions import db
from portal.people.models import Person
from portal.program.models import Workstream
from tests.browser.conftest import sign_in

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


# --- a stale edit from two pages ----------------------------------------------------------

def other_page(browser, live_server, email: str, *, javascript: bool = True):
    """A second browser (own cookies), signed in as `email`."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript,
                                  viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    return sign_in(context.new_page(), email)


def open_edit_form(page, url: str):
    page.goto(url)
    page.click("#edit summary")
    page.locator("#edit input[name=name]").wait_for(state="visible")


def cells(page, field: str) -> tuple[str, str]:
    row = page.locator(f"#ws-conflict tr[data-field={field}]")
    return (row.locator("td.theirs").inner_text().strip(),
            row.locator("td.yours").inner_text().strip())


def test_stale_edit_shows_their_change_beside_mine_in_place(page, login, browser, live_server):
    login("lead@example.com")
    open_first_workstream(page)
    url = page.url
    # The lead starts an edit ...
    open_edit_form(page, url)
    page.fill("#edit input[name=name]", "Hiring (lead's name)")
    page.fill("#edit input[name=keywords]", "sre oncall")
    # ... while the admin, in another browser, saves a change to the same workstream.
    admin = other_page(browser, live_server, "admin@example.com")
    try:
        open_edit_form(admin, url)
        admin.fill("#edit input[name=name]", "Hiring (admin's name)")
        admin.fill("#edit textarea[name=description]", "Admin rewrote this.")
        admin.click("#edit button:has-text('Save changes')")
        admin.locator(".flash", has_text="Saved.").wait_for()  # saved and redirected
        assert admin.locator("h1").inner_text() == "Hiring (admin's name)"
    finally:
        admin.context.close()
    # The lead saves over the older version: swapped in place, nothing saved.
    page.click("#edit button:has-text('Save changes')")
    panel = page.locator("#ws-conflict")
    panel.wait_for()
    assert page.url == url
    assert "Nothing was saved" in panel.inner_text()
    event = panel.locator(".ws-conflict-events li").first
    assert event.locator(".ws-conflict-who").inner_text() == "Portal Admin"
    assert "Admin rewrote this." in event.inner_text()
    assert cells(page, "name") == ("Hiring (admin's name)", "Hiring (lead's name)")
    assert cells(page, "description")[0] == "Admin rewrote this."
    # The lead's values are still in the form; the page head shows what is stored.
    assert page.input_value("#edit input[name=name]") == "Hiring (lead's name)"
    assert page.input_value("#edit input[name=keywords]") == "sre oncall"
    assert page.locator("h1").inner_text() != "Hiring (lead's name)"
    # Saving again is deliberate, and now wins.
    page.click("#edit button:has-text('Save mine over theirs')")
    page.locator(".flash", has_text="Saved.").wait_for()
    assert page.locator("h1").inner_text() == "Hiring (lead's name)"
    assert page.locator("#ws-conflict").count() == 0
    assert page.locator(".flash", has_text="Saved.").count() == 1


def test_stale_edit_without_javascript(page, login, browser, live_server):
    """The same conflict in a browser without JavaScript: a whole page, told at the top."""
    login("admin@example.com")
    open_first_workstream(page)
    url = page.url
    lead = other_page(browser, live_server, "lead@example.com", javascript=False)
    try:
        lead.goto(url)
        lead.click("#edit summary")
        # Without JavaScript the closed panel's link opens the page with the form.
        lead.click("#edit a:has-text('Open the form')")
        lead.wait_for_load_state()
        lead.fill("#edit input[name=name]", "No-script name")
        # The admin saves first (with JavaScript, in place of the first page).
        open_edit_form(page, url)
        page.fill("#edit input[name=keywords]", "admin-word")
        page.click("#edit button:has-text('Save changes')")
        page.locator(".flash", has_text="Saved.").wait_for()  # saved and redirected
        lead.click("#edit button:has-text('Save changes')")
        lead.wait_for_load_state()
        notice = lead.locator(".ws-conflict-notice")
        assert "not saved" in notice.inner_text()
        assert lead.locator("#ws-conflict .ws-conflict-who").first.inner_text() == "Portal Admin"
        assert cells(lead, "keywords")[0] == "admin-word"
        assert cells(lead, "name")[1] == "No-script name"
        assert lead.input_value("#edit input[name=name]") == "No-script name"
        lead.click("#edit button:has-text('Save mine over theirs')")
        lead.wait_for_load_state()
        assert lead.locator("h1").inner_text() == "No-script name"
    finally:
        lead.context.close()


def test_the_lead_select_loads_everyone_when_reached_and_saves(page, login, live_server):
    with live_server.app.app_context():
        people = db.session.scalar(select(func.count(Person.id)))
    login("lead@example.com")
    open_first_workstream(page)
    ws_id = int(page.url.rsplit("/", 1)[1])
    open_edit_form(page, page.url)
    lead = page.locator("#edit select[name=lead_id]")
    assert lead.locator("option").count() <= 2  # the blank and the current lead
    before = lead.input_value()
    assert lead.locator("option:checked").inner_text() != "Yancey"
    with page.expect_response(lambda r: "/actions/owner-options" in r.url):
        lead.focus()
    # Everyone after the form's own blank, the current lead still chosen.
    expect(lead.locator("option")).to_have_count(people + 1)
    expect(lead.locator("option").first).to_have_text("No lead yet")
    assert lead.input_value() == before
    lead.select_option(label="Yancey")
    page.click("#edit button:has-text('Save changes')")
    page.locator(".flash", has_text="Saved.").wait_for()
    with live_server.app.app_context():
        ws = db.session.get(Workstream, ws_id)
        assert ws.lead is not None and ws.lead.name == "Yancey"


@pytest.mark.parametrize("form_first", [False, True], ids=["status-then-open", "open-then-status"])
def test_a_status_change_then_an_edit_saves_without_a_conflict(page, login, form_first):
    """Recording a status moves the workstream's version; the edit form, fetched before or
    after, saves with the new one (it lives outside the form, updated out of band)."""
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    login("lead@example.com")
    open_first_workstream(page)
    name = page.locator("h1").inner_text()
    if form_first:
        page.click("#edit summary")
        page.locator("#edit input[name=name]").wait_for(state="visible")
    page.select_option("#status select[name=rag]", "amber")
    page.fill("#status textarea[name=note]", "Offer pending")
    page.click("#status button:has-text('Record status')")
    expect(page.locator(".history li").first).to_contain_text("Offer pending")
    if not form_first:
        page.click("#edit summary")
    page.fill("#edit input[name=name]", name + " (renamed)")
    page.click("#edit button:has-text('Save changes')")
    page.locator(".flash", has_text="Saved.").wait_for()
    assert page.locator("h1").inner_text() == name + " (renamed)"
    assert page.locator("#ws-conflict").count() == 0
    assert errors == []
