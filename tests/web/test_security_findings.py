"""The findings of the attack on the running portal, one test each (the throttling ones
run through gunicorn in test_throttle_workers.py, CSV injection in test_export.py):
sessions that end, the security log apart from activity, passwords, links and feeds
that die with their login, client addresses from a trusted proxy only, the Server
header."""
from __future__ import annotations

import re
import time
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import SecurityEvent, UserSession
from portal.extensions import db
from portal.reminders import links
from portal.reminders.models import OutboxMessage
from tests.factories import PASSWORD, make_item, make_person, make_program, make_user

NEW = "a-long-and-private-phrase"


def signed_in(app, user, **environ):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           **({"environ_base": environ} if environ else {}))
    assert response.status_code == 303
    return client


def copy_of(app, client):
    """Another client holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


# --- 2. sessions that end --------------------------------------------------------------

def test_logout_ends_the_session_on_the_server(app):
    from tests.factories import make_workstream

    ws = make_workstream()
    db.session.commit()
    lead = make_user("lead")
    client = signed_in(app, lead)
    stolen = copy_of(app, client)
    assert stolen.get("/actions").status_code == 200
    laptop = signed_in(app, lead)  # another device of the same person
    assert client.post("/logout").status_code == 303
    assert stolen.get("/actions").status_code == 302  # the copied cookie is dead
    write = stolen.post(f"/workstreams/{ws.id}/criteria", data={"text": "X", "weight": 1})
    assert write.status_code == 302 and not ws.criteria
    assert laptop.get("/actions").status_code == 200  # other devices stay signed in
    assert db.session.scalar(select(SecurityEvent.kind).order_by(SecurityEvent.id.desc())
                             .limit(1)) == "sign_out"


def test_sessions_end_after_the_absolute_lifetime(app):
    client = signed_in(app, make_user("lead"))
    with client.session_transaction() as sess:
        sess["started"] = int(time.time()) - int(app.config["SESSION_MAX_DAYS"] * 86400) - 5
        sess["seen"] = int(time.time())  # in use all along: the idle stamp is fresh
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_cache_ends_the_session_at_its_lifetime_too(app):
    client = signed_in(app, make_user("lead"))
    assert client.get("/people").status_code == 200  # kept
    with client.session_transaction() as sess:
        sess["started"] = int(time.time()) - int(app.config["SESSION_MAX_DAYS"] * 86400) - 5
    assert client.get("/people").status_code == 302


def test_sign_out_everywhere(app):
    owner = make_user("owner")
    phone, laptop = signed_in(app, owner), signed_in(app, owner)
    assert phone.post("/account/sign-out-everywhere").status_code == 303
    assert phone.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert db.session.scalar(select(UserSession.id).where(
        UserSession.user_id == owner.id)) is None
    page = signed_in(app, owner).get("/account/password").get_data(as_text=True)
    assert "Sign out everywhere" in page


def test_a_password_change_ends_other_sessions_but_not_this_one(app):
    owner = make_user("owner")
    here, there = signed_in(app, owner), signed_in(app, owner)
    response = here.post("/account/password", data={"current_password": PASSWORD,
                                                     "password": NEW})
    assert response.status_code == 303
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302


# --- 4. the security log, apart from activity ------------------------------------------

def test_typed_text_never_reaches_activity_and_the_security_log_is_for_admins(app):
    make_user("lead")
    anonymous = app.test_client()
    anonymous.post("/login", data={"email": "Hunter2-Secret", "password": "x"})
    anonymous.post("/login", data={"email": "known.typo@example.com", "password": "x"})
    executive, admin = make_user("executive"), make_user("admin")
    activity = signed_in(app, executive).get("/activity").get_data(as_text=True)
    assert "Hunter2" not in activity and "known.typo" not in activity
    assert "signed in" not in activity.lower()
    assert not db.session.scalars(select(AuditEvent).where(
        AuditEvent.summary.contains("Hunter2"))).all()
    failed = db.session.scalars(select(SecurityEvent).where(
        SecurityEvent.kind == "sign_in_failed").order_by(SecurityEvent.id)).all()
    assert [e.email for e in failed] == [None, "known.typo@example.com"]
    assert "Hunter2" not in " ".join(f"{e.detail} {e.email}" for e in failed)
    assert signed_in(app, executive).get("/admin/security").status_code == 403
    log = signed_in(app, admin).get("/admin/security?kind=sign_in_failed")
    text = log.get_data(as_text=True)
    assert log.status_code == 200 and "known.typo@example.com" in text and "Hunter2" not in text
    assert "Sign in failed" in text
    everything = signed_in(app, admin).get("/admin/security?kind=nonsense&page=x")
    assert everything.status_code == 200 and "Sign in" in everything.get_data(as_text=True)


def test_a_throttled_account_tells_its_owner_once_an_hour(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_LIMIT="3 per 15 minutes")
    with app.app_context():
        owner = make_user("owner")
        client = app.test_client()
        statuses = [client.post("/login", data={"email": owner.email, "password": "nope"}
                                ).status_code for _ in range(6)]
        assert statuses == [401, 401, 401, 429, 429, 429]
        notices = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "lockout")).all()
        assert len(notices) == 1 and notices[0].recipient == owner.email
        assert "paused" in notices[0].text_body
        assert db.session.scalar(select(SecurityEvent.kind).where(
            SecurityEvent.kind == "sign_in_throttled").limit(1))


# --- 7. passwords -------------------------------------------------------------------------

@pytest.mark.parametrize("password,message", [
    ("readiness-demo-2026", "published password"),
    ("password1234", "Too easy to guess"),
    ("qwertyuiop12", "Too easy to guess"),
])
def test_weak_passwords_are_refused(app, password, message):
    owner = make_user("owner")
    client = signed_in(app, owner)
    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                      "password": password})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_ones_own_email_and_the_current_password_are_refused(app):
    owner = make_user("owner", email="margaret.hamilton@example.com")
    client = signed_in(app, owner)
    own = client.post("/account/password", data={"current_password": PASSWORD,
                                                 "password": "margaret.hamilton2026"})
    assert own.status_code == 422 and "email address" in own.get_data(as_text=True)
    same = client.post("/account/password", data={"current_password": PASSWORD,
                                                  "password": PASSWORD})
    assert same.status_code == 422 and "current password" in same.get_data(as_text=True)
    db.session.expire_all()
    assert owner.check_password(PASSWORD)


def test_the_command_line_refuses_weak_passwords(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "a@example.com", "--name", "A", "--role", "owner"],
        env={"PORTAL_PASSWORD": "readiness-demo-2026"})
    assert result.exit_code != 0 and "demo's published password" in result.output


# --- 8. feeds and links die with their login -------------------------------------------

def test_a_deactivated_logins_feed_and_mail_links_stop_working(app):
    admin, owner = make_user("admin"), make_user("owner")
    item = make_item("Sign", owner_id=owner.person_id, status="open",
                     due_date=date.today() + timedelta(days=1))
    db.session.commit()
    client = app.test_client()
    feed = f"/calendar/{owner.person.calendar_token}.ics"
    done = f"/mail/{links.make_token(app.config['SECRET_KEY'], item, 'done', owner.person_id)}"
    prefs, _ = links.preferences_urls(app.config, owner.person_id)
    prefs = prefs.removeprefix("http://portal.test")
    assert [client.get(u).status_code for u in (feed, done, prefs)] == [200, 200, 200]
    signed_in(app, admin).post(f"/admin/users/{owner.id}", data={"role": "owner"})
    assert [client.get(u).status_code for u in (feed, done, prefs)] == [404, 403, 403]
    assert client.post(done).status_code == 403
    db.session.expire_all()
    assert db.session.get(type(item), item.id).status == "open"


def test_the_outbox_shows_digests_with_inert_links(app):
    from portal.reminders import outbox

    owner = make_person("Olga Owner", email="olga@example.com")
    make_item("Sign the DPA", owner_id=owner.id, status="open", due_date=date.today())
    db.session.commit()
    from portal.clock import utcnow

    outbox.run(db.session, app.config, utcnow().replace(hour=23))
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
    assert message is not None and "/mail/" in message.html_body
    client = signed_in(app, make_user("lead"))
    for path in (f"/outbox/{message.id}", f"/outbox/{message.id}/preview.html"):
        html = client.get(path).get_data(as_text=True)
        assert "/mail/…" in html and "/mail/preferences/…" in html
        assert not re.search(r"/mail/(?:[a-z]+/)?[A-Za-z0-9._-]{16,}", html)


# --- 1 and 12. addresses and headers ----------------------------------------------------

def test_forwarded_addresses_only_from_a_trusted_proxy(app):
    user = make_user("lead")
    signed_in(app, user, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4")
    signed_in(app, user, REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="198.51.100.5")
    addresses = db.session.scalars(select(SecurityEvent.address).where(
        SecurityEvent.kind == "sign_in").order_by(SecurityEvent.id)).all()
    assert addresses == ["198.51.100.4", "192.0.2.9"]  # the second peer is no proxy of ours


def test_the_server_header_names_no_versions(tmp_path):
    import socket
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"PATH": str(Path(sys.executable).parent), "FLASK_APP": "app.py",
           "PORTAL_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "run", "--port",
                               str(port)], cwd=root, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    header = r.headers["Server"]
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert header == "Readiness Portal"


# --- 12. smaller ones ------------------------------------------------------------------

def test_an_unknown_poc_card_is_not_found(app, demo):
    client = signed_in(app, make_user("lead"))
    assert client.get("/pocs/99999/card").status_code == 404
    assert client.get("/pocs/99999/card", headers={"HX-Request": "true"}).status_code == 404


def test_an_oversize_pasted_note_is_not_echoed(app):
    from portal.notes.forms import MAX_NOTE_BYTES

    make_program()  # without one, an import is refused before its size is read
    client = signed_in(app, make_user("lead"))
    response = client.post("/imports/preview",
                           data={"note_text": "x" * (MAX_NOTE_BYTES + 10)})
    assert response.status_code in (413, 422)
    assert len(response.data) < 100_000


# --- 9. look-alike names, invisible characters, NUL ------------------------------------

@pytest.mark.parametrize("spelling", [
    "Ja\u200bson Vallery", "Jason Val\u00adlery", "\ufeffJason Vallery", "J\u0430son Vallery",
    "Jason\u200d Vallery", "ＪＡＳＯＮ ＶＡＬＬＥＲＹ",
])
def test_look_alike_names_are_the_same_person(app, spelling):
    make_person("Jason Vallery", email=None)
    db.session.commit()
    client = signed_in(app, make_user("lead"))
    response = client.post("/people", data={"name": spelling, "kind": "person"})
    assert response.status_code == 422
    assert "already has this name" in response.get_data(as_text=True)


def test_a_name_of_invisible_characters_is_refused(app):
    client = signed_in(app, make_user("lead"))
    response = client.post("/people", data={"name": "\u200b\u200c\u200d\u2060", "kind": "person"})
    assert response.status_code == 422 and "invisible" in response.get_data(as_text=True)


def test_titles_are_cleaned_and_nul_is_refused(app):
    from portal.actions.models import ActionItem

    item = make_item("Plain", status="open")
    db.session.commit()
    client = signed_in(app, make_user("lead"))
    refused = client.post(f"/actions/{item.id}/row", data={"title": "Bad\x00title",
                                                            "version": 1},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 400
    # htmx swaps nothing for an error: the toast says the page's own words (portal.js)
    assert unquote(refused.headers["X-Portal-Message"]) == (
        "The request holds a NUL character; it was not accepted.")
    client.post(f"/actions/{item.id}", data={"title": "Sign\u200b the\u00a0DPA\u2066",
                                             "status": "open", "priority": "normal",
                                             "version": 1})
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id).title == "Sign the DPA"
