"""Planning and delivery against a real SMTP server on loopback: once, after outages,
in each recipient's time, without items closed meanwhile."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.reminders import outbox
from portal.reminders.models import OutboxMessage, ReminderPoint
from tests.factories import make_item, make_person, make_workstream
from tests.web.test_reminders_smtp import SmtpServer, free_port, running_smtp_server

smtp_fixture = pytest.fixture(running_smtp_server, name="smtp_server")

NOW = datetime(2026, 3, 4, 9, 0)  # Wednesday, 09:00 UTC
TODAY = NOW.date()


def cfg(app, server=None, **extra):
    config = dict(app.config)
    config.update(server.config() if server else {"MAIL_SERVER": None})
    config.update(extra)
    return config


def messages(state=None):
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if state:
        stmt = stmt.where(OutboxMessage.state == state)
    return list(db.session.scalars(stmt))


@pytest.fixture
def team(app):
    """Two owners and a lead; items due soon, today, late and far away."""
    lead = make_person("Lena Lead")
    ana = make_person("Ana Owner")
    ben = make_person("Ben Owner")
    nomail = make_person("No Mail", email=None)
    ws = make_workstream(name="Integrations", lead_id=lead.id)
    items = {
        "soon": make_item("Wire Tackle <b>listing</b> & co", owner_id=ana.id, workstream_id=ws.id,
                          due_date=TODAY + timedelta(days=2)),
        "today": make_item("Register offer", owner_id=ana.id, due_date=TODAY),
        "late": make_item("Polaris metering", owner_id=ben.id, workstream_id=ws.id,
                          due_date=TODAY - timedelta(days=8)),
        "far": make_item("Plan SKO", owner_id=ben.id, due_date=TODAY + timedelta(days=40)),
        "done": make_item("Finished", owner_id=ben.id, status="done", due_date=TODAY),
        "nomail": make_item("Orphan", owner_id=nomail.id, due_date=TODAY),
    }
    db.session.commit()
    return {"lead": lead, "ana": ana, "ben": ben, "ws": ws, "items": items}


def test_each_digest_goes_out_once_and_a_second_run_sends_nothing(app, team, smtp_server):
    result = outbox.run(db.session, cfg(app, smtp_server), NOW)
    assert (result.planned, result.sent, result.failed, result.logged) == (4, 3, 0, 0)
    smtp_server.wait_for(3)
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == sorted([team["ana"].email, team["ben"].email, team["lead"].email])
    assert {m.state for m in messages()} == {"sent"}
    again = outbox.run(db.session, cfg(app, smtp_server), NOW)
    assert (again.planned, again.sent) == (0, 0)
    assert again.skipped == 4
    later = outbox.run(db.session, cfg(app, smtp_server), NOW + timedelta(hours=5))
    assert (later.planned, later.sent) == (0, 0)
    assert len(smtp_server.messages) == 3


def test_the_digest_says_what_is_needed_and_escapes_titles(app, team, smtp_server):
    outbox.run(db.session, cfg(app, smtp_server), NOW)
    smtp_server.wait_for(3)
    mail = smtp_server.handler.to(team["ana"].email)[0]
    assert mail["Subject"] == "2 action items need you: 1 due today, 1 due within 7 days"
    unsubscribe = mail["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://portal.test/mail/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "Wire Tackle &lt;b&gt;listing&lt;/b&gt; &amp; co" in html
    assert "<b>listing</b>" not in html
    assert "Wire Tackle <b>listing</b> & co" in text
    assert "Integrations" in html and "in 2 days" in html and "DUE TODAY" in text
    soon = team["items"]["soon"]
    assert f"http://portal.test/actions/{soon.id}" in html
    # done + snooze for both items, and the preferences link (same token as unsubscribe)
    assert html.count("http://portal.test/mail/") == 5
    token = unsubscribe.strip("<>").rsplit("/", 1)[1]
    assert f"http://portal.test/mail/preferences/{token}" in html
    lead_mail = smtp_server.handler.to(team["lead"].email)[0]
    assert lead_mail["Subject"] == "1 overdue item in your workstreams needs attention"
    assert "Polaris metering" in lead_mail.get_body(("plain",)).get_content()
    lead_html = lead_mail.get_body(("html",)).get_content()
    assert lead_html.count("/mail/") == 1 and "/mail/preferences/" in lead_html  # no actions
    # ...so no word on how those links work: the note comes only with the links
    assert "work once" not in lead_html and "work once" not in lead_mail.get_body(
        ("plain",)).get_content()
    assert "works once" in html and "work once" in text
    ben_mail = smtp_server.handler.to(team["ben"].email)[0]
    assert ben_mail["Subject"] == "1 action item needs you: 1 overdue"
    assert "8 days overdue" in ben_mail.get_body(("plain",)).get_content()


def test_outage_failed_then_delivered_once_after_the_backoff(app, team):
    server = SmtpServer(port=free_port())  # not started: the server is down
    first = outbox.run(db.session, cfg(app, server), NOW)
    assert (first.planned, first.sent, first.failed) == (4, 0, 3)
    failed = messages("failed")
    assert len(failed) == 3
    assert all(m.attempts == 1 and m.next_attempt_at == NOW + timedelta(minutes=1)
               and "cannot connect" in m.last_error for m in failed)
    server.start()
    try:
        early = outbox.run(db.session, cfg(app, server), NOW + timedelta(seconds=30))
        assert early.sent == 0  # backoff not over yet
        after = outbox.run(db.session, cfg(app, server), NOW + timedelta(minutes=2))
        assert (after.planned, after.sent) == (0, 3)
        server.wait_for(3)
        again = outbox.run(db.session, cfg(app, server), NOW + timedelta(minutes=30))
        assert again.sent == 0
        assert sorted(m["To"] for m in server.messages) == sorted(
            [team["ana"].email, team["ben"].email, team["lead"].email])
        assert all(m.state == "sent" and m.attempts == 2 for m in messages())
    finally:
        server.stop()


def test_backoff_doubles_up_to_six_hours_and_dead_after_eight(app, team):
    assert [outbox.backoff(n).total_seconds() / 60 for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert outbox.backoff(20) == timedelta(hours=6)
    down = SmtpServer(port=free_port())
    now = NOW
    outbox.run(db.session, cfg(app, down), now)
    for _ in range(7):
        message = messages()[0]
        assert message.state == "failed"
        now = message.next_attempt_at
        outbox.run(db.session, cfg(app, down), now)
    assert {m.state for m in messages()} == {"dead"}
    assert all(m.attempts == 8 for m in messages())
    dead = [m.id for m in messages()]
    outbox.run(db.session, cfg(app, down), now + timedelta(days=1))  # plans the next day
    db.session.expire_all()
    assert all(db.session.get(OutboxMessage, i).state == "dead" and
               db.session.get(OutboxMessage, i).attempts == 8 for i in dead)


def test_closing_an_item_removes_it_from_the_retried_message(app, team):
    down = SmtpServer(port=free_port())
    outbox.run(db.session, cfg(app, down), NOW)
    items = team["items"]
    items["today"].status = "done"
    items["late"].status = "cancelled"
    db.session.commit()
    server = down.start()
    try:
        result = outbox.run(db.session, cfg(app, server), NOW + timedelta(minutes=5))
        # Ana's digest loses one item; Ben's and the lead's have nothing left.
        assert (result.sent, result.obsolete) == (1, 2)
        server.wait_for(1)
        assert len(server.messages) == 1
        mail = server.messages[0]
        assert mail["To"] == team["ana"].email
        assert mail["Subject"] == "1 action item needs you: 1 due within 7 days"
        assert "Register offer" not in mail.get_body(("plain",)).get_content()
        assert len(messages("obsolete")) == 2
    finally:
        server.stop()


def test_a_moved_due_date_starts_new_points(app, team, smtp_server):
    outbox.run(db.session, cfg(app, smtp_server), NOW)
    soon = team["items"]["soon"]
    soon.due_date = TODAY + timedelta(days=6)
    db.session.commit()
    tomorrow = NOW + timedelta(days=1)
    result = outbox.run(db.session, cfg(app, smtp_server), tomorrow)
    kinds = set(db.session.execute(
        sa.select(ReminderPoint.kind, ReminderPoint.due_date)
        .where(ReminderPoint.action_item_id == soon.id)).all())
    assert kinds == {("before:2", TODAY + timedelta(days=2)),
                     ("before:7", TODAY + timedelta(days=6))}
    assert result.sent >= 1
    smtp_server.wait_for(4)
    second = [m for m in smtp_server.handler.to(team["ana"].email)]
    assert len(second) == 2
    assert "Wire Tackle" in second[1].get_body(("plain",)).get_content()


def test_recipients_get_their_digest_at_their_own_eight(app, smtp_server):
    tokyo = make_person("Tokyo Owner", timezone="Asia/Tokyo")
    la = make_person("LA Owner", timezone="America/Los_Angeles")
    # "7 days before" falls on 10 March for both, each in their own calendar.
    make_item("Tokyo item", owner_id=tokyo.id, due_date=date(2026, 3, 17))
    make_item("LA item", owner_id=la.id, due_date=date(2026, 3, 17))
    db.session.commit()
    delivered: dict[str, datetime] = {}
    tick = datetime(2026, 3, 9, 12, 0)
    while tick < datetime(2026, 3, 11, 12, 0):
        outbox.run(db.session, cfg(app, smtp_server), tick)
        for message in messages("sent"):
            delivered.setdefault(message.recipient, message.sent_at)
        tick += timedelta(minutes=15)
    # 08:00 on 10 March in Tokyo is 23:00 UTC on 9 March; in Los Angeles (PDT), 15:00 UTC
    # on 10 March.
    assert delivered[tokyo.email] == datetime(2026, 3, 9, 23, 0)
    assert delivered[la.email] == datetime(2026, 3, 10, 15, 0)
    keys = {m.idempotency_key for m in messages()}
    assert keys == {f"digest:{tokyo.id}:2026-03-10", f"digest:{la.id}:2026-03-10"}
    smtp_server.wait_for(2)
    assert len(smtp_server.handler.to(tokyo.email)) == 1
    assert len(smtp_server.handler.to(la.email)) == 1


def test_weekdays_only_and_pause_end_to_end(app, smtp_server):
    friday = datetime(2026, 3, 6, 9, 0)
    weekly = make_person("Weekday Owner", weekdays_only=True)
    paused = make_person("Paused Owner", pause_from=date(2026, 3, 5), pause_until=date(2026, 3, 9))
    make_item("Due Saturday", owner_id=weekly.id, due_date=date(2026, 3, 7))
    make_item("Due Sunday", owner_id=paused.id, due_date=date(2026, 3, 8))
    db.session.commit()
    sent_on: dict[str, list[date]] = {weekly.email: [], paused.email: []}
    for offset in range(5):  # Friday to Tuesday
        now = friday + timedelta(days=offset)
        outbox.run(db.session, cfg(app, smtp_server), now)
        for message in messages("sent"):
            days = sent_on[message.recipient]
            if message.sent_at.date() not in days:
                days.append(message.sent_at.date())
    assert sent_on[weekly.email] == [date(2026, 3, 6), date(2026, 3, 9)]  # Friday, Monday
    assert sent_on[paused.email] == [date(2026, 3, 10)]  # the day after the pause
    kinds = db.session.scalars(sa.select(ReminderPoint.kind).order_by(ReminderPoint.id)).all()
    assert kinds == ["due:0", "overdue:1", "overdue:1"]


def test_without_mail_server_messages_are_logged(app, team, caplog):
    caplog.set_level("INFO", logger="portal.reminders.mail")
    result = outbox.run(db.session, cfg(app), NOW)
    assert (result.logged, result.sent) == (3, 0)
    assert {m.state for m in messages()} == {"logged"}
    assert all(m.html_body and m.text_body and m.subject for m in messages())
    assert team["ana"].email in caplog.text


def test_dry_run_writes_nothing(app, team):
    result = outbox.run(db.session, cfg(app), NOW, dry_run=True)
    assert result.planned == 4
    assert any(team["ana"].email in line for line in result.lines)
    assert messages() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderPoint)) == 0


def test_the_run_is_set_based(app, query_counter):
    """Same number of statements with 6 and with 120 items among many recipients."""
    def build(n, start):
        people = [make_person(f"Owner {start + i}") for i in range(n // 3)]
        for i in range(n):
            make_item(f"Item {start + i}", owner_id=people[i % len(people)].id,
                      due_date=TODAY + timedelta(days=(i % 10) - 4))
        db.session.commit()

    build(6, 0)
    with query_counter() as small:
        outbox.run(db.session, cfg(app), NOW)
    db.session.execute(sa.delete(ReminderPoint))
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    build(20, 100)  # 26 items, 8 recipients: still within one batch
    with query_counter() as large:
        outbox.run(db.session, cfg(app), NOW)
    assert len(large) == len(small)


def test_scheduler_tick_runs_and_skips_while_another_holds_the_lock(app, team):
    from portal.jobs import JOBS
    from portal.reminders.jobs import ADVISORY_LOCK_KEY, run_reminders

    assert ("reminders", run_reminders, {"trigger": "interval", "minutes": 15}) in JOBS
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as other:
            other.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            other.commit()
            assert run_reminders(app, NOW) is None
            other.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
            other.commit()
        assert messages() == []
    result = run_reminders(app, NOW)
    assert (result.planned, result.logged) == (4, 3)


def test_a_failed_mail_that_is_not_a_digest_is_retried_as_stored(app, smtp_server):
    """A weekly summary (no reminder points) must not turn obsolete on its retry."""
    db.session.add(OutboxMessage(
        idempotency_key="weekly:1:2026-W10:1", kind="weekly", recipient="exec@example.com",
        subject="Weekly readiness", text_body="The program is on track.", html_body="",
        state="failed", attempts=1, next_attempt_at=NOW))
    db.session.commit()
    result = outbox.run(db.session, cfg(app, smtp_server), NOW + timedelta(minutes=1))
    assert (result.sent, result.obsolete) == (1, 0)
    smtp_server.wait_for(1)
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Weekly readiness"
    assert "on track" in mail.get_body(("plain",)).get_content()
    assert messages()[0].state == "sent" and messages()[0].attempts == 2


@pytest.mark.parametrize("job, work, failure", [
    ("run_reminders", "run", "reminder run failed"),
    ("send_due_mail", "send_due", "sending due mail failed"),
])
def test_a_scheduled_job_that_fails_is_logged_and_raised_and_the_next_tick_runs(
        app, monkeypatch, caplog, job, work, failure):
    from portal.reminders import jobs

    real = getattr(outbox, work)

    def broken(session, config, now):
        raise RuntimeError("the mail server vanished")

    monkeypatch.setattr(outbox, work, broken)
    with caplog.at_level("ERROR", logger="portal.reminders"), \
            pytest.raises(RuntimeError, match="vanished"):
        getattr(jobs, job)(app, NOW)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [failure]
    monkeypatch.setattr(outbox, work, real)
    assert getattr(jobs, job)(app, NOW) is not None
