"""Invitations and password resets by mail: a lead invites a person from their page, the
mail reaches a real SMTP server, its link lets the person choose a password and signs
them in, once; expired, reused, superseded, tampered and deactivated links are refused;
"Forgot your password?" answers the same for every address and is throttled."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth import mail, tokens
from portal.auth.models import SecurityEvent, User
from portal.extensions import db
from portal.reminders.models import OutboxMessage
from tests.factories import PASSWORD, make_person, make_user
from tests.web.test_reminders_smtp import running_smtp_server

smtp_fixture = pytest.fixture(running_smtp_server, name="smtp_server")

NEW_PASSWORD = "a-long-and-private-phrase"
LINK = re.compile(r"http://portal\.test(/password/[A-Za-z0-9._-]+)")


@pytest.fixture
def mail_app(app_factory, smtp_server):
    application = app_factory(**smtp_server.config())
    with application.app_context():
        yield application


def signed_in(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 303
    return client


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return LINK.search(text).group(1)


def fresh_user(email) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_a_lead_invites_an_owner_who_chooses_a_password(mail_app, smtp_server):
    lead = make_user("lead")
    olga = make_person("Olga Owner", email="olga@example.com")
    db.session.commit()
    client = signed_in(mail_app, lead)
    page = client.get(f"/people/{olga.id}").get_data(as_text=True)
    assert "Invite to sign in" in page and 'selected value="owner"' in page
    assert 'value="admin"' not in page  # leads do not give admin

    response = client.post(f"/people/{olga.id}/invite", data={"role": "owner"})
    assert response.status_code == 303
    smtp_server.wait_for(1)
    (message,) = smtp_server.handler.to("olga@example.com")
    assert message["Subject"] == "You are invited to the Readiness Portal"
    path = link_in(message)
    assert client.get(f"/people/{olga.id}").get_data(as_text=True).count("Invited on") == 1
    user = fresh_user("olga@example.com")
    assert user.person_id == olga.id and user.role == "owner" and user.invitation_pending
    # a pending login cannot sign in with any password
    assert mail_app.test_client().post("/login", data={"email": "olga@example.com",
                                                       "password": ""}).status_code == 422

    owner = mail_app.test_client()
    page = owner.get(path)
    assert page.status_code == 200 and "Choose your password" in page.get_data(as_text=True)
    weak = owner.post(path, data={"password": "short", "confirm": "short"})
    assert weak.status_code == 422
    differ = owner.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert differ.status_code == 422 and "differ" in differ.get_data(as_text=True)
    done = owner.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert "Olga Owner" in owner.get("/").get_data(as_text=True)  # signed in as herself
    user = fresh_user("olga@example.com")
    assert user.check_password(NEW_PASSWORD) and not user.invitation_pending
    events = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "user",
                                 AuditEvent.entity_id == user.id).order_by(AuditEvent.id))]
    assert events == ["create", "invite"]
    assert db.session.scalars(select(SecurityEvent.kind).where(
        SecurityEvent.user_id == user.id)).all() == ["password_set_by_link"]

    reused = mail_app.test_client().get(path)
    assert reused.status_code == 410 and "already used" in reused.get_data(as_text=True)
    again = client.post(f"/people/{olga.id}/invite", data={"role": "owner"})
    assert again.status_code == 409 and "already signs in" in again.get_data(as_text=True)


def test_a_new_invitation_replaces_the_older_link(app):
    lead = make_user("lead")
    olga = make_person("Olga Owner", email="olga@example.com")
    db.session.commit()
    client = signed_in(app, lead)
    client.post(f"/people/{olga.id}/invite", data={"role": "owner"})
    first = fresh_user("olga@example.com")
    old = mail.password_url(app.config, first, "invite").removeprefix("http://portal.test")
    client.post(f"/people/{olga.id}/invite", data={"role": "executive"})
    assert app.test_client().get(old).status_code == 410
    user = fresh_user("olga@example.com")
    assert user.role == "executive"
    assert db.session.scalar(select(OutboxMessage.state).where(
        OutboxMessage.kind == "invite").order_by(OutboxMessage.id.desc()).limit(1)) == "logged"


def test_expired_tampered_and_deactivated_links_are_refused(app):
    admin = make_user("admin")
    olga = make_person("Olga Owner", email="olga@example.com")
    db.session.commit()
    with time_machine.travel(datetime(2026, 3, 1, 9, 0), tick=False):
        signed_in(app, admin).post(f"/people/{olga.id}/invite", data={"role": "owner"})
        user = fresh_user("olga@example.com")
        path = mail.password_url(app.config, user, "invite").removeprefix("http://portal.test")
    anonymous = app.test_client()
    with time_machine.travel(datetime(2026, 3, 8, 8, 59), tick=False):
        assert anonymous.get(path).status_code == 200
    with time_machine.travel(datetime(2026, 3, 8, 9, 1), tick=False):
        expired = anonymous.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    token = path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert anonymous.get(f"/password/{tampered}").status_code == 400
    assert anonymous.get("/password/" + "x" * 600).status_code in (400, 404)

    fresh = mail.password_url(app.config, user, "invite").removeprefix("http://portal.test")
    signed_in(app, admin).post(f"/admin/users/{user.id}", data={"role": "owner"})  # not active
    assert fresh_user("olga@example.com").active is False
    refused = anonymous.post(fresh, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused.status_code == 403 and "deactivated" in refused.get_data(as_text=True)
    assert not fresh_user("olga@example.com").check_password(NEW_PASSWORD)


def test_who_may_invite_with_which_role(app):
    lead, executive = make_user("lead"), make_user("executive")
    olga = make_person("Olga Owner", email="olga@example.com")
    nomail = make_person("No Mail", email=None)
    team = make_person("Legal", email="legal@example.com", kind="team")
    db.session.commit()
    lead_client = signed_in(app, lead)
    assert lead_client.post(f"/people/{olga.id}/invite",
                            data={"role": "admin"}).status_code == 403
    assert lead_client.post(f"/people/{olga.id}/invite",
                            data={"role": "overlord"}).status_code == 422
    refused = lead_client.post(f"/people/{nomail.id}/invite", data={"role": "owner"})
    assert refused.status_code == 409 and "no email address" in refused.get_data(as_text=True)
    assert lead_client.post(f"/people/{team.id}/invite", data={"role": "owner"}).status_code == 409
    assert lead_client.post("/people/999999/invite", data={"role": "owner"}).status_code == 404
    assert signed_in(app, executive).post(f"/people/{olga.id}/invite",
                                          data={"role": "owner"}).status_code == 403
    assert fresh_user("olga@example.com") is None
    assert db.session.scalar(select(OutboxMessage.id).limit(1)) is None


def test_the_outbox_shows_an_invitation_with_its_link_inert(app):
    lead = make_user("lead")
    olga = make_person("Olga Owner", email="olga@example.com")
    db.session.commit()
    client = signed_in(app, lead)
    client.post(f"/people/{olga.id}/invite", data={"role": "owner"})
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invite"))
    live = LINK.search(message.text_body).group(1)
    page = client.get(f"/outbox/{message.id}").get_data(as_text=True)
    preview = client.get(f"/outbox/{message.id}/preview.html").get_data(as_text=True)
    token = live.rsplit("/", 1)[1]
    assert "Choose your password" in preview
    assert token not in page and token not in preview
    assert "/password/…" in page


def test_cli_invite_prints_the_link_without_a_mail_server(app):
    make_person("Olga Owner", email="olga@example.com")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "invite", "olga@example.com", "--role", "lead"])
    assert result.exit_code == 0, result.output
    assert "no mail server is configured" in result.output
    path = LINK.search(result.output).group(1)
    client = app.test_client()
    assert client.post(path, data={"password": NEW_PASSWORD,
                                   "confirm": NEW_PASSWORD}).status_code == 303
    assert fresh_user("olga@example.com").role == "lead"
    unknown = runner.invoke(args=["users", "invite", "nobody@example.com"])
    assert unknown.exit_code != 0 and "--name" in unknown.output
    named = runner.invoke(args=["users", "invite", "new@example.com", "--name", "New Person"])
    assert named.exit_code == 0 and fresh_user("new@example.com").person.name == "New Person"


# --- Forgot your password? -------------------------------------------------------------

def answer_text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"<strong>[^<]*</strong>", "", html[html.index("<main"):])


def test_reset_answers_the_same_for_known_and_unknown_addresses(mail_app, smtp_server):
    owner = make_user("owner")
    client = mail_app.test_client()
    known = client.post("/password/forgot", data={"email": owner.email.upper()})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert not smtp_server.messages  # the mail goes once the answer is out,
    known.close()  # which a WSGI server marks by closing the response
    unknown.close()
    assert answer_text(known) == answer_text(unknown)
    smtp_server.wait_for(1)
    assert [m["To"] for m in smtp_server.messages] == [owner.email]
    path = link_in(smtp_server.messages[0])
    assert tokens.LIFETIMES["reset"] == timedelta(hours=2)
    other_session = signed_in(mail_app, owner)
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert fresh_user(owner.email).check_password(NEW_PASSWORD)
    assert other_session.get("/").status_code == 302  # other sessions ended
    assert client.get(path).status_code == 410


def test_reset_of_a_deactivated_login_sends_nothing(mail_app, smtp_server):
    owner = make_user("owner")
    owner.active = False
    db.session.commit()
    response = mail_app.test_client().post("/password/forgot", data={"email": owner.email})
    assert response.status_code == 200
    assert db.session.scalar(select(OutboxMessage.id).limit(1)) is None


def test_reset_requests_are_throttled(app_factory):
    application = app_factory(RATELIMIT_ENABLED=True)
    with application.app_context():
        owner = make_user("owner")
        client = application.test_client()
        statuses = [client.post("/password/forgot", data={"email": owner.email}).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert db.session.query(OutboxMessage).count() == 3
        statuses = [client.post("/password/forgot",
                                data={"email": f"x{n}@example.com"}).status_code
                    for n in range(8)]
        assert statuses[-1] == 429  # per address, whatever the account


def test_reset_form_refuses_nonsense(app):
    client = app.test_client()
    assert client.post("/password/forgot", data={}).status_code == 422
    assert client.post("/password/forgot", data={"email": "x" * 5000}).status_code == 422
    assert db.session.scalar(select(OutboxMessage.id).limit(1)) is None
