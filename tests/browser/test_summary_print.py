"""The executive summary in Chromium: on screen, on a phone, in dark mode and printed."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF: '/Type /Page' objects, not the '/Type /Pages' tree nodes."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def test_executive_lands_on_the_summary_and_sees_the_verdict(page, login):
    login("exec@example.com")
    assert page.url.endswith("/summary")
    verdict = page.locator("[data-figure=verdict]").inner_text()
    assert verdict in {"Off track", "At risk", "On track", "Ready"}
    assert page.locator(".go-table tbody tr").count() >= 1
    assert page.locator("svg.chart-svg").count() == 3
    page.click("text=How is this computed?")
    assert page.locator(".formula ol li").first.is_visible()
    page.locator(".chart-values summary").first.click()
    assert page.locator(".chart-table").first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "summary-1366.png"), full_page=True)


def test_as_of_form_and_bad_date(page, login):
    login("exec@example.com")
    response = page.goto("/summary?as_of=not-a-day")
    assert response.status == 400
    assert "not a date" in page.locator(".alert-error").inner_text()


def test_phone_and_dark_scheme(page, login):
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    login("exec@example.com")
    page.goto("/summary")
    assert page.locator("[data-figure=verdict]").is_visible()
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".timeline-list").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "summary-390-dark.png"), full_page=True)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_prints_on_at_most_two_pages_without_navigation(page, login, paper):
    login("exec@example.com")
    page.goto("/summary")
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert not page.locator(".as-of-form").is_visible()
    assert page.locator(".trend svg.chart-svg").first.is_visible()
    assert page.locator(".timeline-svg").is_visible()
    data = page.pdf(format=paper, print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"summary-{paper}.pdf").write_bytes(data)
    assert 1 <= pdf_pages(data) <= 2


def test_pdf_page_count_helper():
    assert pdf_pages(b"<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type/Page >>") == 2


def test_print_button_prints_and_is_hidden_in_print(page, login):
    login("exec@example.com")
    page.goto("/summary")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    button = page.get_by_role("button", name="Print")
    assert button.is_visible()
    button.click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    assert not button.is_visible()


def test_timeline_labels_do_not_collide_in_print(page, login, live_server):
    """Milestones days apart: on paper no two labels of the timeline overlap."""
    from datetime import timedelta

    from portal.extensions import db
    from portal.program.clock import program_today
    from portal.program.models import Milestone, Program

    with live_server.app.test_request_context():
        program = db.session.query(Program).first()
        today = program_today()
        for n, name in enumerate(["Pricing approved", "Marketplace listing", "Support ready",
                                  "Launch comms"]):
            db.session.add(Milestone(program_id=program.id, name=name,
                                     due_date=today + timedelta(days=10 + 2 * n)))
        db.session.commit()
    login("exec@example.com")
    page.goto("/summary")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 760, "height": 1000})
    boxes = page.evaluate("""() => [...document.querySelectorAll(
        '.timeline-svg text.timeline-name, .timeline-svg text.timeline-date')]
        .map(t => { const r = t.getBoundingClientRect();
                    return [r.left, r.top, r.right, r.bottom, t.textContent]; })""")
    assert len(boxes) >= 8
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap = a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1
            assert not overlap, (a, b)
