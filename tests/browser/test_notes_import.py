"""Importing a meeting note in Chromium: upload or paste, change a match, commit, see it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.actions.models import ActionItem
from portal.auth.models import User
from portal.demo import SAMPLE_NOTE
from portal.extensions import db
from portal.notes.models import Meeting
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PREVIEW = "[data-step=preview]"
RESULT = "[data-step=result]"


def follow_up_note(tmp_path):
    """The sample as a second meeting (another title and date): 17 new items."""
    data = SAMPLE_NOTE.read_bytes()
    data = data.replace(b"title: Cloud support operating model alignment",
                        b"title: Cloud support follow-up")
    data = data.replace(b"date: '2025-10-30'", b"date: '2025-11-06'")
    path = tmp_path / "2025-11-06-follow-up.md"
    path.write_bytes(data)
    return path


def items_of(live_server, title):
    with live_server.app.app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.title == title))
        if meeting is None:
            return {}
        rows = db.session.scalars(select(ActionItem).where(ActionItem.meeting_id == meeting.id))
        return {item.source_line: (item.owner.name if item.owner else None,
                                   item.workstream.name if item.workstream else None)
                for item in rows}


def test_upload_change_an_owner_and_commit(page, login, live_server, tmp_path):
    login("lead@example.com")
    page.click(".nav a:has-text('Import')")
    page.wait_for_url("**/imports/new")
    page.set_input_files("input[name=note_file]", str(follow_up_note(tmp_path)))
    page.click(".import-form button[type=submit]")
    page.wait_for_selector(PREVIEW)
    assert page.locator("h1").inner_text() == "Cloud support follow-up"
    assert page.locator("tr[data-action=create]").count() == 17
    assert page.locator("[data-count=repairs]").inner_text() == "37"
    timo = page.locator("tr[data-owner='Timo Pervane Pervane']")
    assert timo.locator("select option:checked").inner_text() == "Timo Pervane"
    joe = page.locator("tr[data-owner='Joe'] select")
    assert joe.locator("option:checked").inner_text() == "Joe"
    joe.select_option(label="Rob Banga")
    page.select_option("select[name=ws-42]", label="Enablement")
    page.click(".commit-bar button[type=submit]")
    page.wait_for_selector(RESULT)
    assert page.locator("[data-result=imported]").is_visible()
    assert page.locator("[data-count=created]").inner_text() == "17"
    assert page.locator("tr[data-action=create]").count() == 17
    stored = items_of(live_server, "Cloud support follow-up")
    assert len(stored) == 17
    assert stored[37] == ("Rob Banga", "Telemetry and analytics")  # written @Joe
    assert stored[42] == ("Daniel", "Enablement")
    assert stored[34][0] == "Jason Vallery"  # @Myself, the lead
    page.click("text=Import another note")
    page.wait_for_selector("[data-step=choose]")


def test_paste_an_error_then_a_note(page, login, live_server):
    login("lead@example.com")
    page.goto("/imports/new")
    page.fill("textarea[name=note_text]", "# Notes\n\nWe talked; nobody took an action.")
    page.click(".import-form button[type=submit]")
    error = page.locator(".field.has-error .field-errors")
    error.wait_for()
    assert "no task lines" in error.inner_text()
    assert page.locator("textarea[name=note_text]").get_attribute("aria-invalid") == "true"
    page.fill("textarea[name=note_text]",
              "---\ntitle: Hiring sync\ndate: 2025-11-12\n---\n"
              "- [ ] Post the SRE job ad, recruiting on LinkedIn @Rob Banga 📅 2025-11-14 ⏫\n"
              "- [ ] Book a room @Myself 📅 2025-13-45\n")
    page.click(".import-form button[type=submit]")
    page.wait_for_selector(PREVIEW)
    assert page.locator("tr[data-action=create]").count() == 2
    assert page.locator("select[name=ws-5] option:checked").inner_text() == "Hiring"
    warning = page.locator(".notice-list li[data-line='6']")
    assert "2025-13-45" in warning.inner_text()
    page.click(".commit-bar button[type=submit]")
    page.wait_for_selector(RESULT)
    assert items_of(live_server, "Hiring sync") == {5: ("Rob Banga", "Hiring"),
                                                     6: ("Jason Vallery", None)}


def test_the_demo_note_is_already_imported(page, login, live_server):
    login("lead@example.com")
    page.goto("/imports/new")
    page.set_input_files("input[name=note_file]", str(SAMPLE_NOTE))
    page.click(".import-form button[type=submit]")
    page.wait_for_selector(PREVIEW)
    assert page.locator("tr[data-action=unchanged]").count() == 17
    assert "changes nothing" in page.locator(".alert-info").inner_text()
    page.click(".commit-bar button[type=submit]")
    page.wait_for_selector("[data-result=nothing]")


def test_without_javascript(browser, live_server, tmp_path):
    """The same flow with plain form posts: every page works without htmx."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False,
                                  viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/imports/new")
        page.set_input_files("input[name=note_file]", str(follow_up_note(tmp_path)))
        page.click(".import-form button[type=submit]")
        page.wait_for_selector(PREVIEW)
        assert page.url.endswith("/imports/preview")
        page.click(".commit-bar button[type=submit]")
        page.wait_for_selector(RESULT)
        assert page.locator("[data-count=created]").inner_text() == "17"
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_pages_fit_the_width(page, login, live_server, tmp_path, width):
    """Choose, error, preview and result at desktop and phone widths: no sideways scroll."""
    page.set_viewport_size({"width": width, "height": 900})
    login("lead@example.com")

    def fits():
        return page.evaluate("document.documentElement.scrollWidth") <= width

    page.goto("/imports/new")
    assert fits()
    page.click(".import-form button[type=submit]")  # nothing chosen
    page.locator(".field-errors").wait_for()
    assert fits()
    page.set_input_files("input[name=note_file]", str(follow_up_note(tmp_path)))
    page.click(".import-form button[type=submit]")
    page.wait_for_selector(PREVIEW)
    assert fits()
    assert page.locator(".commit-bar button[type=submit]").is_visible()  # sticky
    page.click(".commit-bar button[type=submit]")
    page.wait_for_selector(RESULT)
    assert fits()


def test_owner_choice_updates_the_preview_at_once(page, login, live_server, tmp_path):
    """Choosing an owner changes that owner's match, its lines, the counts and the
    warnings without leaving the page; keyboard focus stays on the select; the choice is
    committed and its spelling remembered."""
    with live_server.app.app_context():  # a login whose person was removed: @Myself
        admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
        admin.person_id = None
        db.session.commit()
    login("admin@example.com")
    note = tmp_path / "2026-11-27 Legal check-in.md"
    note.write_text(
        "# Legal check-in\n\nAttendees: [[Rob Banga]], Yancey\n\n"
        "- [ ] Send the DPA redlines @Robbie B 📅 2026-12-08\n"
        "- [ ] Countersign the DPA @Robbie B\n"
        "- [ ] Book the room @Myself\n", encoding="utf-8")
    page.goto("/imports/new")
    page.set_input_files("input[name=note_file]", str(note))
    page.click(".import-form button[type=submit]")
    page.wait_for_selector(PREVIEW)
    assert page.locator("[data-count=people]").inner_text() == "1"
    assert page.locator("[data-count=warnings]").inner_text() == "1"
    robbie = page.locator("tr[data-owner='Robbie B']")
    assert robbie.locator(".match").inner_text() == "New person"

    robbie.locator("select").focus()  # the shared choices are in the list once reached
    expect(robbie.locator("select option", has_text="Rob Banga")).to_have_count(1)
    robbie.locator("select").select_option(label="Rob Banga")
    expect(page.locator("[data-count=people]")).to_have_text("0")
    assert robbie.locator(".match").inner_text() == "Chosen"
    assert "Rob Banga, chosen in the preview." in robbie.inner_text()
    for line in (5, 6):
        assert "→ Rob Banga" in page.locator(f"#item-owner-{line}").inner_text()
    assert "“Robbie B” → Rob Banga" in page.locator("#new-people").inner_text()
    assert page.evaluate("document.activeElement.name") == robbie.locator(
        "select").get_attribute("name")

    myself = page.locator("tr[data-owner='Myself'] select")
    myself.select_option(label="Yancey")
    expect(page.locator("[data-count=warnings]")).to_have_text("0")
    assert page.locator("#import-warnings").is_hidden()
    assert "→ Yancey" in page.locator("#item-owner-7").inner_text()

    page.click(".commit-bar button[type=submit]")
    page.wait_for_selector(RESULT)
    stored = items_of(live_server, "Legal check-in")
    assert stored == {5: ("Rob Banga", None), 6: ("Rob Banga", None), 7: ("Yancey", None)}
