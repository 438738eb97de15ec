"""A team's first day, end to end in Chromium, on SQLite and PostgreSQL, without the demo:
an admin created by command signs in and lands on the setup; creates the program, two
milestones, three hyperscalers and two gating workstreams with leads; the lead (also
created by command) imports the program's meeting note, so @Myself is the lead's own
person; the lead gives an owner an email and invites them from their page; the
invitation reaches a real SMTP server; the owner follows its link, chooses a password,
finds their items on the dashboard and changes the status of one. A screenshot of every
step is kept in test-artifacts/own-program/."""
from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.people.models import Person
from tests.browser.conftest import ARTIFACTS, LiveServer, sign_in
from tests.conftest import _truncate_all, make_app
from tests.web.test_reminders_smtp import running_smtp_server

# A live server commits from its own threads.
pytestmark = [pytest.mark.browser, pytest.mark.committed]
smtp_fixture = pytest.fixture(running_smtp_server, name="smtp_server")

ROOT = Path(__file__).resolve().parents[2]
SHARED_NOTE = ROOT.parent / "shared/samples/2025-10-30-cloud-support-operating-model.md"
ADMIN, LEAD = ("ada@example.com", "Ada Admin"), ("jason@example.com", "Jason Vallery")
PASSWORD = "first-day-of-the-program"
OWNER_PASSWORD = "robs-own-long-passphrase"
READY_BY = date.today() + timedelta(days=120)
SHOTS = ARTIFACTS / "own-program"


def note_path() -> Path:
    from portal.demo import SAMPLE_NOTE

    return SHARED_NOTE if SHARED_NOTE.exists() else SAMPLE_NOTE


@pytest.fixture
def empty_server(database_url, tmp_path, smtp_server):
    """The portal over an empty database of either kind, mail to the test SMTP server;
    its two logins made with `flask users create`, as the README says."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True, **smtp_server.config())
    with app.app_context():
        db.create_all()
    runner = app.test_cli_runner()
    for (email, name), role in ((ADMIN, "admin"), (LEAD, "lead")):
        result = runner.invoke(args=["users", "create", email, "--name", name, "--role", role],
                               env={"PORTAL_PASSWORD": PASSWORD})
        assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PORTAL_BASE_URL"] = url  # the links in its mails lead here
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=url, app=app)
    server.shutdown()
    thread.join(timeout=5)
    if database_url.startswith("postgresql"):
        _truncate_all(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_from_an_empty_install_to_an_owner_at_work(browser, empty_server, smtp_server,
                                                   database_url):
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    contexts = []

    def new_page():
        context = browser.new_context(base_url=empty_server.url,
                                      viewport={"width": 1440, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    try:
        # 1. The admin signs in and lands on the setup.
        admin = sign_in(new_page(), ADMIN[0], PASSWORD)
        expect(admin).to_have_url(re.compile(r"/setup$"))
        shot(admin, f"{kind}-01-setup")
        admin.fill("#name", "Marketplace launch")
        admin.fill("#target_date", READY_BY.isoformat())
        admin.select_option("#timezone", "Europe/Berlin")
        admin.fill("#description", "Sell through the GCP, Azure and AWS marketplaces.")
        admin.click("text=Create the program")

        # 2. Two milestones.
        admin.wait_for_url("**/program/milestones?setup=1")
        for name, day in (("Private offers live", READY_BY - timedelta(days=60)),
                          ("Go/no-go", READY_BY)):
            admin.fill("#add-milestone input[name=name]", name)
            admin.fill("#add-milestone input[name=due_date]", day.isoformat())
            admin.click("#add-milestone button[type=submit]")
            admin.locator(".milestone-name", has_text=name).wait_for()
        shot(admin, f"{kind}-02-milestones")
        admin.click("#setup-continue")

        # 3. Three hyperscalers, in their priority order.
        admin.wait_for_url("**/pocs/hyperscalers?setup=1")
        for name in ("GCP", "Azure", "AWS"):
            admin.fill("#add-hyperscaler input[name=name]", name)
            admin.press("#add-hyperscaler input[name=name]", "Enter")
            admin.locator(f".hs-row input[name=name][value='{name}']").wait_for()
        shot(admin, f"{kind}-03-hyperscalers")
        admin.click("#setup-continue")

        # 4. Two gating workstreams with leads.
        admin.wait_for_url("**/workstreams?setup=1")
        for name, lead, keywords in (("Support operating model", LEAD[1], "support SRE"),
                                     ("Integrations", ADMIN[1], "Salesforce Tackle Polaris")):
            admin.fill("#new-workstream input[name=name]", name)
            admin.select_option("#new-workstream select[name=lead_id]", label=lead)
            admin.fill("#new-workstream input[name=keywords]", keywords)
            admin.click("text=Create workstream")
            admin.wait_for_url("**/workstreams?setup=1")
        shot(admin, f"{kind}-04-workstreams")
        admin.click("#setup-continue")
        admin.wait_for_url(re.compile(r"/$"))
        shot(admin, f"{kind}-05-dashboard-checklist")

        # 5. The lead imports the meeting note: @Myself is the lead's own person.
        lead = sign_in(new_page(), LEAD[0], PASSWORD)
        lead.goto("/imports/new")
        lead.set_input_files("input[name=note_file]", str(note_path()))
        lead.click(".import-form button[type=submit]")
        lead.wait_for_selector("[data-step=preview]")
        shot(lead, f"{kind}-06-preview")
        lead.click(".commit-bar button[type=submit]")
        lead.wait_for_selector("[data-step=result]")
        with empty_server.app.app_context():
            jason = db.session.scalar(select(Person).where(Person.name == LEAD[1]))
            mine = db.session.scalars(select(ActionItem.title).where(
                ActionItem.owner_id == jason.id)).all()
            assert len(mine) == 3  # the three @Myself tasks of the note
            assert db.session.scalar(select(Person.id).where(Person.name == "Jason Vallery")
                                     .where(Person.id != jason.id)) is None
            rob = db.session.scalar(select(Person).where(Person.name == "Rob Banga"))
            robs = set(db.session.scalars(select(ActionItem.title).where(
                ActionItem.owner_id == rob.id)))
        assert robs

        # 6. The lead gives Rob an email and invites him as an owner.
        lead.goto(f"/people/{rob.id}")
        lead.fill("#edit input[name=email]", "rob@example.com")
        lead.click("#edit button[type=submit]")
        lead.locator("#login button:has-text('Invite to sign in')").wait_for()
        shot(lead, f"{kind}-07-person-before-invite")
        lead.click("#login button:has-text('Invite to sign in')")
        expect(lead.locator(".flash-success")).to_contain_text("Invitation sent to rob@")
        shot(lead, f"{kind}-08-invited")

        # 7. The invitation reaches the SMTP server; Rob follows its link.
        smtp_server.wait_for(1, timeout=10)
        (mail,) = smtp_server.handler.to("rob@example.com")
        text = mail.get_body(("plain",)).get_content()
        link = re.search(r"http://[^\s]+/password/\S+", text).group(0)
        assert "Marketplace launch" in text and "as owner" in text
        owner = new_page()
        owner.goto(link)
        shot(owner, f"{kind}-09-choose-password")
        owner.fill("#password", OWNER_PASSWORD)
        owner.fill("#confirm", OWNER_PASSWORD)
        owner.click("button[type=submit]")
        owner.wait_for_url(re.compile(r"/$"))

        # 8. Rob sees his items on the dashboard and changes the status of one.
        section = owner.locator("#mine")
        for title in robs:
            expect(section).to_contain_text(title[:40])
        shot(owner, f"{kind}-10-owner-dashboard")
        with empty_server.app.app_context():
            item = db.session.scalars(select(ActionItem).where(
                ActionItem.owner_id == rob.id).order_by(ActionItem.id)).first()
            item_id = item.id
        owner.goto(f"/actions/{item_id}")
        owner.select_option(".status-form select[name=status]", "in_progress")
        with owner.expect_response(lambda r: r.url.endswith(f"/actions/{item_id}/status")) \
                as answer:
            owner.click(".status-form button[type=submit]")
        assert answer.value.status in (200, 204)  # the block, or a redirect to the page
        owner.wait_for_load_state("networkidle")
        expect(owner.locator(".status-form select[name=status]")).to_have_value("in_progress")
        shot(owner, f"{kind}-11-owner-changed-status")
        with empty_server.app.app_context():
            assert db.session.get(ActionItem, item_id).status == "in_progress"
    finally:
        for context in contexts:
            context.close()
