"""End-to-end journeys in Chromium, one per kind of user, each through the real parts: the
portal served on loopback, a real SMTP server (aiosmtpd) catching the reminder mail, the
system Chromium clicking through. The `page` fixture of conftest.py leaves a screenshot
in test-artifacts/ when a journey fails.

- a lead imports a meeting note, fixes an owner match, commits, filters the list, edits a
  due date in place and reorders a POC;
- an owner follows the signed "Mark done" link of a reminder mail, without signing in;
- an executive opens the summary and prints it.
"""
from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.clock import utcnow
from portal.demo import SAMPLE_NOTE, seed_demo
from portal.extensions import db
from portal.notes.models import Meeting
from portal.people.models import Person
from portal.people.names import name_key
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.reminders import outbox
from tests.browser.conftest import ARTIFACTS
from tests.conftest import make_app
from tests.web.test_reminders_smtp import SmtpServer

pytestmark = pytest.mark.browser


@dataclass
class Live:
    url: str
    app: object
    smtp: SmtpServer


@pytest.fixture
def live_server(request, tmp_path):
    """The portal (CSRF on, SQLite) on a free loopback port, mail to a loopback SMTP server,
    PORTAL_BASE_URL its own address. Seeds the demo unless the test asks for `bare`
    (logins and facts only come from the test then). Overrides conftest's `live_server`,
    so conftest's `page` fixture drives this server."""
    seed = getattr(request, "param", "demo")
    smtp = SmtpServer().start()
    server = thread = None
    try:
        app = make_app(f"sqlite:///{tmp_path / 'journey.db'}", tmp_path, WTF_CSRF_ENABLED=True,
                       MAIL_DEFAULT_SENDER="Readiness Portal <portal@example.com>",
                       MAIL_USE_TLS=False, **smtp.config())
        with app.app_context():
            db.create_all()
            if seed == "demo":
                seed_demo(db.session)
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        app.config["PORTAL_BASE_URL"] = url  # the links in mail point here
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield Live(url=url, app=app, smtp=smtp)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        smtp.stop()


# --- (a) a lead imports a note and works through the program ---------------------------------

FOLLOW_UP = "Cloud support follow-up"


def follow_up_note() -> str:
    """The sample note as the next meeting's (another title and date): the demo holds the
    sample's own items already, so these 17 are new. Text as it would be pasted."""
    text = SAMPLE_NOTE.read_bytes().decode("utf-8")
    text = text.replace("title: Cloud support operating model alignment",
                        f"title: {FOLLOW_UP}")
    text = text.replace("date: '2025-10-30'", "date: '2025-11-06'")
    assert FOLLOW_UP in text and "2025-11-06" in text
    return text


def _in_db(app, query):
    with app.app_context():
        try:
            return query()
        finally:
            db.session.remove()


def _follow_up_items(app) -> dict[int, tuple[int, str | None]]:
    """{source line: (item id, owner name)} of the imported follow-up meeting."""
    def query():
        meeting = db.session.scalar(select(Meeting).where(Meeting.title == FOLLOW_UP))
        if meeting is None:
            return {}
        return {i.source_line: (i.id, i.owner.name if i.owner else None)
                for i in db.session.scalars(select(ActionItem)
                                            .where(ActionItem.meeting_id == meeting.id))}
    return _in_db(app, query)


def _azure_order(app) -> list[str]:
    return _in_db(app, lambda: list(db.session.scalars(
        select(Customer.name).join(Poc, Poc.customer_id == Customer.id)
        .join(Hyperscaler, Hyperscaler.id == Poc.hyperscaler_id)
        .where(Hyperscaler.name == "Azure").order_by(Poc.position))))


def test_lead_imports_a_note_fixes_an_owner_then_works_the_list_and_the_board(
        page, login, live_server):
    app = live_server.app
    login("lead@example.com")

    # Import: paste the note, read the preview, fix an owner match, commit.
    page.click(".nav a:has-text('Import')")
    page.wait_for_url("**/imports/new")
    page.fill("textarea[name=note_text]", follow_up_note())
    page.click(".import-form button[type=submit]")
    page.wait_for_selector("[data-step=preview]")
    assert page.locator("h1").inner_text() == FOLLOW_UP
    assert page.locator("tr[data-action=create]").count() == 17
    assert _follow_up_items(app) == {}  # a preview writes nothing
    joe = page.locator("tr[data-owner='Joe'] select")
    assert joe.locator("option:checked").inner_text() == "Joe"
    joe.select_option(label="Rob Banga")  # the note's "@Joe" meant Rob here
    page.click(".commit-bar button[type=submit]")
    page.wait_for_selector("[data-result=imported]")
    assert page.locator("[data-count=created]").inner_text() == "17"
    imported = _follow_up_items(app)
    assert len(imported) == 17
    fixed_id, owner = imported[37]  # the line written "@Joe"
    assert owner == "Rob Banga"

    # The list (the menu opens it on the open items), filtered to Rob Banga's: the fixed
    # one is there, Joe's original not.
    page.click(".nav a:has-text('Actions')")
    page.wait_for_url(re.compile(r"/actions\?status=proposed&status=open&status=in_progress$"))
    rob = _in_db(app, lambda: db.session.scalar(
        select(Person.id).where(Person.name == "Rob Banga")))
    with page.expect_response(lambda r: "/actions?" in r.url and f"owner={rob}" in r.url):
        page.select_option("#f-owner", label="Rob Banga")
    page.wait_for_url(f"**owner={rob}**")
    rows = page.locator("#results tbody tr.item-row")
    shown = {int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.itemId)")}
    robs = set(_in_db(app, lambda: list(db.session.scalars(
        select(ActionItem.id).where(ActionItem.owner_id == rob,
                                    ActionItem.status.in_(("proposed", "open",
                                                           "in_progress")))))))
    assert fixed_id in shown and shown == robs

    # A due date edited in its row, without leaving the filtered list.
    row = page.locator(f"#item-{fixed_id}")
    version = int(row.get_attribute("data-version"))
    with page.expect_response(f"**/actions/{fixed_id}/row") as response:
        row.locator("input[name=due_date]").fill("2026-12-18")
    assert response.value.status == 200
    row = page.locator(f"#item-{fixed_id}")
    assert row.get_attribute("data-version") == str(version + 1)
    assert row.locator("input[name=due_date]").input_value() == "2026-12-18"
    assert f"owner={rob}" in page.url
    due = _in_db(app, lambda: db.session.get(ActionItem, fixed_id).due_date.isoformat())
    assert due == "2026-12-18"

    # The POC board: UKMET moves ahead of Microsoft on Azure with its button.
    page.click(".nav a:has-text('POCs')")
    page.wait_for_url("**/pocs")
    assert _azure_order(app) == ["Microsoft", "UKMET"]
    ukmet = page.locator(".poc-card", has=page.locator(".poc-customer", has_text="UKMET"))
    ukmet.get_by_role("link", name="Move UKMET or change its stage").click()
    ukmet.get_by_role("button", name="Move UKMET up").click()
    page.locator(".flash-success", has_text="Moved UKMET to position 1 on Azure.").wait_for()
    azure = page.locator('.board-col[data-hyperscaler="Azure"] .poc-customer')
    assert azure.all_inner_texts() == ["UKMET", "Microsoft"]
    assert _azure_order(app) == ["UKMET", "Microsoft"]


# --- (b) an owner acts on a reminder mail ---------------------------------------------------

@pytest.mark.parametrize("live_server", ["bare"], indirect=True)
def test_owner_marks_an_item_done_from_the_reminder_mail(page, live_server):
    app = live_server.app
    now = utcnow()
    with app.app_context():
        owner = Person(name="Rob Banga", name_key=name_key("Rob Banga"),
                       email="rob.banga@example.com", timezone="UTC", send_hour=0)
        db.session.add(owner)
        db.session.flush()
        item = ActionItem(title="Begin recruiting initial SREs",
                          title_key="begin recruiting initial sres", owner_id=owner.id,
                          status="open", due_date=(now + timedelta(days=2)).date())
        db.session.add(item)
        db.session.commit()
        item_id, owner_id = item.id, owner.id
        # The reminders run, as `flask reminders run --now ...` would do it.
        result = outbox.run(db.session, app.config, now)
        assert result.sent == 1, result.lines
        db.session.remove()

    live_server.smtp.wait_for(1)
    mails = [m for m in live_server.smtp.messages if "rob.banga@example.com" in m["To"]]
    assert len(mails) == 1
    mail = mails[0]
    assert "Begin recruiting initial SREs" in mail["Subject"] + mail.get_body(
        ("plain",)).get_content()
    # The link as the owner's mail program shows it: the HTML part's "Mark done" button.
    body = mail.get_body(("html",)).get_content()
    links = re.findall(r'<a href="([^"]+)"[^>]*>Mark done</a>', body)
    assert len(links) == 1
    link = html.unescape(links[0])
    assert link.startswith(live_server.url + "/mail/")
    text_link = re.search(r"Mark done: (\S+)", mail.get_body(("plain",)).get_content())
    assert text_link and text_link.group(1) == link

    # Not signed in: the link asks to confirm and changes nothing until then.
    page.goto(link)
    assert page.locator("h1").inner_text() == "Mark done?"
    assert "Begin recruiting initial SREs" in page.locator("main").inner_text()
    with app.app_context():
        assert db.session.get(ActionItem, item_id).status == "open"
        db.session.remove()
    page.click("button:has-text('Mark done')")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Marked done"
    with app.app_context():
        done = db.session.get(ActionItem, item_id)
        assert (done.status, done.done_date is not None) == ("done", True)
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "action_item", AuditEvent.entity_id == item_id)
            .order_by(AuditEvent.id.desc())).first()
        assert event.after["status"] == "done" and event.actor_person_id == owner_id
        db.session.remove()
    # The link works once.
    page.goto(link)
    assert page.locator("h1").inner_text() == "Nothing was changed"


# --- (c) an executive prints the summary ----------------------------------------------------

def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def test_executive_opens_the_summary_and_prints_it(page, login):
    login("exec@example.com")
    assert page.url.endswith("/summary")  # an executive's home
    assert page.locator("[data-figure=verdict]").inner_text() in {
        "Off track", "At risk", "On track", "Ready"}
    assert page.locator(".go-table tbody tr").count() >= 1
    # Read-only: no form that changes anything on the page.
    assert page.locator("main form[method=post]").count() == 0
    # A look at the POC board from the summary, and back.
    page.click("a:has-text('POC board')")
    page.wait_for_url("**/pocs")
    assert page.locator(".poc-card").count() >= 1
    assert page.locator(".poc-card button").count() == 0  # no moves for an executive
    page.go_back()
    page.wait_for_url("**/summary")

    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert not page.locator(".as-of-form").is_visible()
    assert page.locator(".print-footer").is_visible()
    assert page.locator("[data-figure=verdict]").is_visible()
    data = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "journey-summary.pdf").write_bytes(data)
    assert data.startswith(b"%PDF-")
    assert 1 <= pdf_pages(data) <= 2
