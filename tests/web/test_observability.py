"""JSON request logs with request ids, compressed responses, fingerprinted static files."""
from __future__ import annotations

import gzip
import re

import brotli
import pytest
from flask import url_for

from portal.observability import recorded
from tests.factories import PASSWORD, make_user


def test_one_json_line_per_request_with_id_user_route_status_duration(app, client,
                                                                       request_log):
    user = make_user("lead")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    request_log.clear()
    response = client.get("/healthz")
    assert len(request_log) == 1
    line = request_log[0]
    assert line["route"] == "/healthz" and line["method"] == "GET" and line["status"] == 200
    assert line["user_id"] == user.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert response.headers["X-Request-ID"] == line["request_id"]


def test_route_is_the_url_rule_not_the_path(app, client, request_log):
    client.get("/static/css/portal.css")
    assert request_log[-1]["route"] == "/static/<path:filename>"
    client.get("/no-such-page")
    assert request_log[-1]["route"] == "<unmatched>" and request_log[-1]["status"] == 404


def test_incoming_request_id_is_honoured_and_echoed(client, request_log):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-1234.abc"})
    assert response.headers["X-Request-ID"] == "edge-1234.abc"
    assert request_log[-1]["request_id"] == "edge-1234.abc"


def test_a_malformed_request_id_is_replaced(client, request_log):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id\" with quotes"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_anonymous_and_redirected_requests_are_logged_too(client, request_log):
    response = client.get("/")
    assert response.status_code == 302
    assert request_log[-1]["status"] == 302 and request_log[-1]["user_id"] is None


def test_pages_are_compressed_when_the_client_accepts_it(app, client):
    user = make_user("lead")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    plain = client.get("/login")
    response = client.get("/static/css/portal.css", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
    assert b"{" in gzip.decompress(response.data)
    assert "Accept-Encoding" in response.headers.get("Vary", "")
    assert plain.headers.get("Content-Encoding") is None


def test_static_text_is_compressed_once_at_the_best_levels(app, client):
    """Browsers keep a static file a year: it goes out at brotli's and gzip's best levels
    (pages at the fastest), compressed once per file and encoding, and still answers a
    revalidation with 304."""
    with app.test_request_context():
        url = url_for("static", filename="js/portal.js")
    raw = client.get(url).data
    best = {"br": brotli.compress(raw, quality=11), "gzip": gzip.compress(raw, 9, mtime=0)}
    for accepted, encoding in (("gzip, deflate, br", "br"), ("gzip", "gzip")):
        response = client.get(url, headers={"Accept-Encoding": accepted})
        assert response.headers["Content-Encoding"] == encoding
        assert response.data == best[encoding]
        assert "Accept-Encoding" in response.headers["Vary"]
        again = client.get(url, headers={"Accept-Encoding": accepted,
                                         "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    assert client.get(url, headers={"Accept-Encoding": "identity"}).data == raw


def test_html_pages_are_compressed(client):
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == "gzip"
    assert b"<html" in gzip.decompress(response.data).lower()


def test_static_urls_carry_a_content_hash_with_an_immutable_cache(app, client):
    with app.test_request_context():
        url = url_for("static", filename="css/portal.css")
    assert re.search(r"\?v=[0-9a-f]{12}$", url)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get("/static/css/portal.css?v=000000000000")
    assert "immutable" not in stale.headers["Cache-Control"]
    bare = client.get("/static/css/portal.css")
    assert "immutable" not in bare.headers["Cache-Control"]


def test_static_files_are_the_same_for_every_visitor(app, client):
    """A static file's response neither varies on the cookie nor sets one, signed in or
    not, so a shared cache keeps one copy; a page of a signed-in user still does both."""
    user = make_user("lead")
    with app.test_request_context():
        url = url_for("static", filename="css/portal.css")
    anonymous = client.get(url)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    for response in (anonymous, client.get(url)):
        assert response.status_code == 200
        assert "cookie" not in response.headers.get("Vary", "").lower()
        assert "Set-Cookie" not in response.headers
    page = client.get("/people")
    assert page.status_code == 200 and "cookie" in page.headers["Vary"].lower()


def test_pages_link_fingerprinted_static_files(client):
    html = client.get("/login").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert links
    assert all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links), links


def test_recorded_job_stores_its_last_run(app):
    from portal.extensions import db
    from portal.reminders.models import Setting

    calls = []
    recorded("demo-job", lambda application: calls.append(application))(app)
    setting = db.session.get(Setting, "scheduler.last_run.demo-job")
    assert calls == [app]
    assert setting is not None and setting.value["ok"] is True

    def failing(application):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        recorded("demo-job", failing)(app)
    db.session.expire_all()
    assert db.session.get(Setting, "scheduler.last_run.demo-job").value["ok"] is False
