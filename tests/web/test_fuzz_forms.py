"""Arbitrary values posted to every form and sent to every query string: never a 500, and
a refused request (4xx) writes nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from tests.factories import PASSWORD, make_user
from tests.web.test_authorization import PUBLIC_ENDPOINTS, rules

# Reads what was committed through a connection of its own.
pytestmark = pytest.mark.committed

FIELD_NAMES = [
    "title", "name", "email", "owner", "owner_id", "workstream", "workstream_id", "status",
    "priority", "due_date", "scheduled_date", "start_date", "notes", "note", "body", "rag",
    "version", "position", "stage", "planned_start", "planned_end", "hyperscaler_id", "text",
    "weight", "keywords", "description", "target_date", "gating", "days", "ids", "item_ids",
    "action", "timezone", "send_hour", "role", "active", "q", "lead_id", "depends_on",
    "aliases", "kind", "offer_type", "customer_id", "segment", "criterion_id", "direction",
    "shift_days", "pause_from", "pause_until", "weekdays_only", "overdue_only", "note_text",
    "expected", "expected_name", "setup", "m1-name", "m1-due_date", "m1-description",
    "m1-version",
]
QUERY_NAMES = ["q", "owner", "workstream", "status", "priority", "due_from", "due_to",
               "overdue", "sort", "page", "as_of", "state", "person", "date_from", "date_to"]
SKIP_WRITE_CHECK = {"auth.login", "auth.logout"}

values = st.one_of(
    st.text(max_size=40),
    st.text(min_size=3000, max_size=6000, alphabet="ab <>&\"'"),
    st.integers(min_value=-2**40, max_value=2**40).map(str),
    st.sampled_from(["", "0", "-1", "2025-02-30", "2025-13-45", "9999-12-31", "null", "[]",
                     "open", "done", "red", "running", "1e9", "../../etc/passwd", "\x00"]),
)
form_data = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=8)
query_data = st.dictionaries(st.sampled_from(QUERY_NAMES), values, max_size=5)
FUZZ = settings(max_examples=8, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


def _state() -> dict[str, list]:
    with db.engine.connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(sa.select(t)).all()))
                for t in db.metadata.sorted_tables if t.name != "audit_event"}


def _lead_client(app):
    user = make_user("admin")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def test_posting_nonsense_to_every_form(app, demo):
    client = _lead_client(app)
    skipped = PUBLIC_ENDPOINTS | {"auth.logout"}
    targets = [(rule, path) for rule, path in rules(app)
               if "POST" in rule.methods and rule.endpoint not in skipped]
    assert targets

    @FUZZ
    @given(data=form_data, htmx=st.booleans())
    def post_nonsense(data, htmx):
        for rule, path in targets:
            before = _state() if rule.endpoint not in SKIP_WRITE_CHECK else None
            headers = {"HX-Request": "true"} if htmx else {}
            response = client.post(path, data=data, headers=headers)
            assert response.status_code < 500, (path, data, response.status_code)
            if before is not None and 400 <= response.status_code < 500:
                assert _state() == before, (path, data, response.status_code)
            db.session.rollback()

    post_nonsense()


def test_nonsense_query_strings_on_every_page(app, demo):
    client = _lead_client(app)
    targets = [path for rule, path in rules(app)
               if "GET" in rule.methods and rule.endpoint not in PUBLIC_ENDPOINTS]

    @FUZZ
    @given(params=query_data)
    def get_nonsense(params):
        for path in targets:
            response = client.get(path, query_string=params)
            assert response.status_code < 500, (path, params, response.status_code)

    get_nonsense()
