"""The page cache: a read page is rendered once per data version, date and session, and a
write anywhere (this instance, another one, a script) makes the next request render again."""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.pagecache import DataVersion, PageCache, current_version
from tests.conftest import count_queries
from tests.factories import (
    PASSWORD,
    make_item,
    make_person,
    make_program,
    make_user,
    make_workstream,
)

PAGES = ["/", "/actions?status=open&sort=due", "/workstreams", "/pocs", "/summary",
         "/summary.json"]


@pytest.fixture
def world(app):
    program = make_program(name="Launch")
    ws = make_workstream(program, name="Telemetry")
    ann = make_person("Ann Owner")
    item = make_item("Wire the exporter", workstream_id=ws.id, owner_id=ann.id, status="open")
    db.session.commit()
    return {"ws": ws, "item": item}


def signed_in(app, role="lead"):
    user = make_user(role)
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code \
        in (302, 303)
    return client, user


def statements():
    return count_queries(db.engine)


def counted(client, path, counter):
    with counter() as run:
        response = client.get(path)
    assert response.status_code == 200, path
    return response, len(run)


@pytest.mark.parametrize("path", PAGES)
def test_second_request_is_served_without_rendering(app, world, path):
    client, _ = signed_in(app)
    first, rendered = counted(client, path, statements)
    second, cached = counted(client, path, statements)
    assert second.data == first.data
    assert cached == 1 < rendered  # the data version, nothing else


@pytest.mark.parametrize("path", PAGES)
def test_rendering_a_kept_page_only_reads(app, world, path):
    """Its request reads in autocommit, so a write there would not be one transaction."""
    client, _ = signed_in(app)
    with statements() as run:
        assert client.get(path).status_code == 200
    assert len(run) > 1  # rendered, not a hit
    assert not [s for s in run if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]


def test_a_hit_reads_the_data_version_and_not_the_user(app, world):
    client, _ = signed_in(app)
    for _ in range(2):
        client.get("/summary")
    with statements() as run:
        assert client.get("/summary").status_code == 200
    assert len(run) == 1 and "FROM data_version" in run[0] and "user_account" not in run[0]


def test_the_log_line_of_a_hit_names_the_user(app, world, request_log):
    client, user = signed_in(app)
    for _ in range(2):
        client.get("/summary")
    request_log.clear()
    with statements() as run:
        client.get("/summary")
    assert len(run) == 1  # a hit: the user was not loaded, and still the line names them
    (line,) = request_log
    assert line["user_id"] == user.id and line["status"] == 200


@pytest.mark.parametrize("ending", ["deactivated", "signed out everywhere", "idle"])
def test_a_cached_page_is_not_served_to_a_session_that_has_ended(app, world, ending):
    client, user = signed_in(app)
    for _ in range(2):
        client.get("/summary")
    assert counted(client, "/summary", statements)[1] == 1  # a hit
    if ending == "deactivated":
        user.active = False
        db.session.commit()
    elif ending == "signed out everywhere":
        user.session_version += 1
        db.session.commit()
    else:
        with client.session_transaction() as sess:
            sess["seen"] = int(time.time()) - int(app.config["SESSION_IDLE_HOURS"] * 3600) - 5
    response = client.get("/summary")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_hits_and_misses_are_counted_in_the_metrics(app, world):
    client, _ = signed_in(app)

    def hits() -> float:
        text = client.get("/metrics").data.decode()
        match = re.search(r'^portal_page_cache_requests_total\{result="hit"\} (\S+)$', text, re.M)
        return float(match.group(1)) if match else 0.0

    before = hits()
    for _ in range(3):
        client.get("/summary")
    assert hits() == before + 2


def test_a_hit_does_not_stop_the_next_page_from_being_kept(app, world):
    client, _ = signed_in(app)
    for _ in range(2):
        client.get("/")  # the second is a hit
    client.get("/summary")
    _, cached = counted(client, "/summary", statements)
    assert cached == 1


def test_a_write_through_the_portal_is_seen_at_once(app, world):
    client, _ = signed_in(app)
    client.get("/actions")
    assert b"Wire the exporter" in client.get("/actions").data
    response = client.post(f"/actions/{world['item'].id}/row",
                           data={"status": "done", "version": "1", "return_to": "/actions"})
    assert response.status_code in (200, 303)
    page = client.get("/actions?status=open").data
    assert b"Wire the exporter" not in page


def test_a_write_by_another_instance_or_script_is_seen(app_factory, app, world):
    client, _ = signed_in(app)
    before = client.get("/actions").data
    assert client.get("/actions").data == before  # cached now
    other = app_factory()  # a second instance over the same database (a worker, the scheduler)
    with other.app_context():
        item = db.session.get(ActionItem, world["item"].id)
        item.title = "Wire the exporter, renamed elsewhere"
        db.session.commit()
        db.session.remove()
    db.session.expire_all()  # as a new request's session would (this test's session is shared)
    assert b"renamed elsewhere" in client.get("/actions").data


def test_bulk_statements_bump_the_version_too(app, world):
    from sqlalchemy import update

    start = current_version(db.session)
    db.session.execute(update(ActionItem).values(priority="high"))
    db.session.commit()
    assert current_version(db.session) == start + 1


def test_reads_and_rolled_back_writes_leave_the_version(app, world):
    start = current_version(db.session)
    db.session.execute(select(ActionItem)).all()
    db.session.commit()
    world["item"].title = "Not kept"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert current_version(db.session) == start
    assert db.session.execute(select(DataVersion.n)).scalar() == start


def test_one_transaction_bumps_once(app, world):
    start = current_version(db.session)
    for n in range(3):
        make_item(f"Extra {n}", workstream_id=world["ws"].id)  # three flushes
    db.session.commit()
    assert current_version(db.session) == start + 1


def test_people_never_see_each_others_pages(app, world):
    lead_client, lead = signed_in(app, "lead")
    viewer_client, viewer = signed_in(app, "executive")
    for _ in range(2):
        lead_page = lead_client.get("/actions").data.decode()
        viewer_page = viewer_client.get("/actions").data.decode()
    assert account(lead_page) == lead.email and account(viewer_page) == viewer.email
    assert 'name="ids"' in lead_page and 'name="ids"' not in viewer_page  # bulk edit: leads


def account(page: str) -> str:
    return re.search(r'class="account-name" title="([^"]+)"', page).group(1)


def test_fragments_and_whole_pages_are_kept_apart(app, world):
    client, _ = signed_in(app)
    whole = client.get("/actions").data
    fragment = client.get("/actions", headers={"HX-Request": "true"}).data
    assert client.get("/actions").data == whole
    assert b"<html" in whole and b"<html" not in fragment


def test_a_new_day_renders_again(app, world):
    with time_machine.travel(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), tick=False) as clock:
        client, _ = signed_in(app)
        client.get("/")
        _, cached = counted(client, "/", statements)
        clock.shift(timedelta(hours=2))  # the same data: a new day in the program's zone (UTC)
        _, rendered = counted(client, "/", statements)
    assert cached == 1 < rendered


def test_the_day_of_the_key_is_the_programs(app, world):
    """At 15:00 UTC it is already tomorrow in Tokyo: a page of a program in Tokyo cached at
    14:00 UTC is served until 14:59 and rendered again at 15:00."""
    world["ws"].program.timezone = "Asia/Tokyo"
    db.session.commit()
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False) as clock:
        client, _ = signed_in(app)
        client.get("/")
        clock.shift(timedelta(minutes=59))
        assert counted(client, "/", statements)[1] == 1  # 23:59 in Tokyo: the same day
        clock.shift(timedelta(minutes=1))
        assert counted(client, "/", statements)[1] > 1


def test_a_flash_is_shown_once_and_not_kept(app, world):
    client, _ = signed_in(app)
    with client.session_transaction() as browser_session:
        browser_session["_flashes"] = [("success", "Saved the thing.")]
    assert b"Saved the thing." in client.get("/actions").data
    assert b"Saved the thing." not in client.get("/actions").data


def test_cached_forms_still_carry_a_valid_csrf_token(app_factory, database_url):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        program = make_program(name="Launch")
        ws = make_workstream(program, name="Telemetry")
        item_id = make_item("Wire the exporter", workstream_id=ws.id, status="open").id
        email = make_user("lead").email
        db.session.commit()
    # No app context held across requests: each request has its own `g`, as when served.
    client = app.test_client()
    login_page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    client.get("/actions")
    page = client.get("/actions").data.decode()  # from the cache
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(f"/actions/{item_id}/row", data={
        "status": "done", "version": "1", "return_to": "/actions", "csrf_token": token})
    assert response.status_code in (200, 303)
    with app.app_context():
        assert db.session.get(ActionItem, item_id).status == "done"


def test_the_cache_can_be_turned_off(app, world):
    app.config["PORTAL_PAGE_CACHE"] = False
    client, _ = signed_in(app)
    client.get("/actions")
    _, first = counted(client, "/actions", statements)
    _, second = counted(client, "/actions", statements)
    assert first > 2 and second > 2


def test_large_pages_are_not_kept(app, world, monkeypatch):
    monkeypatch.setattr("portal.pagecache.MAX_BODY_BYTES", 100)
    client, _ = signed_in(app)
    client.get("/actions")
    _, second = counted(client, "/actions", statements)
    assert second > 2


def test_entries_expire_and_the_oldest_go_first():
    cache = PageCache(entries=2, seconds=60)
    for key in "abc":
        cache.put(key, [], key.encode())
    assert cache.get("a") is None and cache.get("c") == ([], b"c")
    stale = PageCache(entries=2, seconds=-1)
    stale.put("a", [], b"a")
    assert stale.get("a") is None


def test_the_kept_pages_are_the_views_marked_cached_page(app):
    from portal.pagecache import cached_page

    kept = {name for name, view in app.view_functions.items()
            if getattr(view, "cached_page", False)}
    assert kept == {"dashboard.index", "actions.index", "workstreams.index",
                    "workstreams.detail", "pocs.board", "pocs.timeline_page", "people.index",
                    "summary.index", "summary.as_json"}
    assert cached_page(lambda: None).cached_page


# --- bookkeeping: writes that change no page leave the kept pages warm ----------------------

def _sign_in(app, user, password):
    return app.test_client().post("/login", data={"email": user.email, "password": password})


def _scheduler_run(app, world):
    """A reminders tick that queues a mail, the outbox sending it, the item tally folded,
    and their run records."""
    from portal.jobs import JOBS
    from portal.observability import recorded
    from portal.reminders.models import OutboxMessage

    # Loaded first, so that setting what they already hold (a second run) changes nothing.
    db.session.refresh(world["item"])
    db.session.refresh(world["item"].owner)
    world["item"].due_date = datetime.now(UTC).date() + timedelta(days=1)
    # Sent at midnight UTC: the reminder is due whatever the hour the test runs at.
    world["item"].owner.send_hour, world["item"].owner.timezone = 0, "UTC"
    db.session.commit()
    db.session.expire_all()
    jobs = {job_id: job for job_id, job, _ in JOBS}
    before = current_version(db.session)
    recorded("reminders", jobs["reminders"])(app)
    recorded("outbox", jobs["outbox"])(app)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) > 0  # it did write
    assert recorded("item-tally", jobs["item-tally"])(app) > 0  # it did fold rows
    return before


BOOKKEEPING = {
    "sign-in": lambda app, world, user: _sign_in(app, user, PASSWORD).status_code == 303,
    "failed sign-in": lambda app, world, user: _sign_in(app, user, "wrong").status_code == 401,
    "unknown login": lambda app, world, user: app.test_client().post(
        "/login", data={"email": "nobody@example.com", "password": "x"}).status_code == 401,
    "scheduler run": lambda app, world, user: _scheduler_run(app, world) is not None,
}


@pytest.mark.parametrize("write", list(BOOKKEEPING))
def test_bookkeeping_leaves_a_kept_page_valid(app, world, write):
    client, user = signed_in(app)
    if write == "scheduler run":  # the due date it sets is a change of its own, made first
        _scheduler_run(app, world)
    for path in PAGES:
        client.get(path)
        assert counted(client, path, statements)[1] == 1  # kept
    version = current_version(db.session)
    assert BOOKKEEPING[write](app, world, user)
    assert current_version(db.session) == version
    for path in PAGES:
        assert counted(client, path, statements)[1] == 1, path  # still a hit


def test_a_change_to_an_item_is_not_bookkeeping(app, world):
    client, _ = signed_in(app)
    client.get("/actions")
    assert counted(client, "/actions", statements)[1] == 1
    world["item"].priority = "high"
    db.session.commit()
    assert counted(client, "/actions", statements)[1] > 1  # rendered again


def test_signing_out_drops_what_a_copy_of_the_cookie_was_shown(app, world):
    client, _ = signed_in(app)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value,
                    domain=client.get_cookie("session").domain)
    for _ in range(2):
        assert copy.get("/summary").status_code == 200
    client.post("/logout")
    response = copy.get("/summary")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the lag: each worker reads the data version at most every few hundred milliseconds ----

def test_within_the_lag_a_hit_needs_no_database(app, world):
    app.config["PORTAL_PAGE_CACHE_LAG_SECONDS"] = 3600
    client, _ = signed_in(app)
    for _ in range(2):
        client.get("/summary")
    assert counted(client, "/summary", statements)[1] == 0


def _carry_session(source, target) -> None:
    target.set_cookie("session", source.get_cookie("session").value)


def test_within_the_lag_ones_own_write_shows_at_once_on_every_worker(app_factory, app, world):
    """Two workers over one database, each trusting its last reading for an hour: the
    person who wrote through one sees the change through the other on their next page."""
    app.config["PORTAL_PAGE_CACHE_LAG_SECONDS"] = 3600
    other = app_factory(PORTAL_PAGE_CACHE_LAG_SECONDS=3600)
    here, _ = signed_in(app)
    for _ in range(2):
        assert b"Wire the exporter" in here.get("/actions?status=open").data
    there = other.test_client()
    _carry_session(here, there)
    response = there.post(f"/actions/{world['item'].id}/row", follow_redirects=True,
                          data={"status": "done", "version": "1", "return_to": "/actions"})
    assert response.status_code == 200  # and its flash message is shown and gone
    _carry_session(there, here)
    with here.session_transaction() as sess:
        assert "_flashes" not in sess and sess["version_written"] > 0
    assert b"Wire the exporter" not in here.get("/actions?status=open").data


def test_within_the_lag_another_persons_write_shows_when_it_ends(app_factory, app, world):
    app.config["PORTAL_PAGE_CACHE_LAG_SECONDS"] = 3600
    client, _ = signed_in(app)
    for _ in range(2):
        assert b"Wire the exporter" in client.get("/actions").data
    other = app_factory()
    with other.app_context():
        db.session.get(ActionItem, world["item"].id).title = "Renamed by someone else"
        db.session.commit()
        db.session.remove()
    assert b"Wire the exporter" in client.get("/actions").data  # within the lag: not yet
    app.config["PORTAL_PAGE_CACHE_LAG_SECONDS"] = 0  # the lag has passed
    db.session.expire_all()  # as a new request's session would (this test's session is shared)
    assert b"Renamed by someone else" in client.get("/actions").data
