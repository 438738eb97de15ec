"""Health check, error pages, headers and the render helper."""
from portal.web import render
from tests.factories import make_user


def test_healthz_round_trips_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_404_page_in_layout(client, auth):
    auth.login(make_user("lead").email)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Not found" in response.data and b"topbar" in response.data


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_htmx_is_vendored_and_configured(client):
    html = client.get("/login").get_data(as_text=True)
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html
    assert '"allowEval":false' in html and '"selfRequestsOnly":true' in html
    assert "<script>" not in html and "cdn" not in html.lower()
    assert client.get("/static/vendor/htmx-2.0.11/htmx.min.js").status_code == 200


def test_render_gives_block_to_htmx_and_page_otherwise(app, tmp_path):
    app.jinja_loader.searchpath.append(str(tmp_path))
    (tmp_path / "probe.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>page</p>'
        '{% block rows %}<tr>row</tr>{% endblock %}{% endblock %}')
    with app.test_request_context("/", headers={"HX-Request": "true"}):
        fragment = render("probe.html", block="rows")
        assert fragment.get_data(as_text=True).strip() == "<tr>row</tr>"
        assert "HX-Request" in fragment.headers["Vary"]
    with app.test_request_context("/", headers={"HX-Request": "true", "HX-Boosted": "true"}):
        assert "<html" in render("probe.html", block="rows").get_data(as_text=True)
    with app.test_request_context("/"):
        whole = render("probe.html", block="rows").get_data(as_text=True)
        assert "<html" in whole and "<tr>row</tr>" in whole
