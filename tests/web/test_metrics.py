"""/metrics: Prometheus text with requests, latencies, outbox states and the scheduler's
last runs; loopback or an admin may read it, nobody else."""
from __future__ import annotations

import re

from portal.extensions import db
from portal.observability import record_last_run
from portal.proxy import address_in, networks
from portal.reminders.models import OutboxMessage
from tests.factories import PASSWORD, make_user

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def _value(text: str, name: str, **labels) -> float | None:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        if metric.split("{")[0] != name:
            continue
        if all(f'{key}="{val}"' in metric for key, val in labels.items()):
            return float(value)
    return None


def test_loopback_reads_the_metrics(app, client):
    client.get("/healthz")
    client.get("/healthz")
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert _value(text, "portal_http_requests_total", route="/healthz", method="GET",
                  status="200") >= 2
    assert _value(text, "portal_http_request_duration_seconds_count", route="/healthz") >= 2
    assert 'portal_http_request_duration_seconds_bucket{le="0.1",route="/healthz"}' in text
    assert _value(text, "portal_database_up") == 1


def test_outbox_states_and_scheduler_last_run(app, client):
    for state, key in (("pending", "a"), ("pending", "b"), ("sent", "c")):
        db.session.add(OutboxMessage(idempotency_key=key, recipient="x@example.com",
                                     state=state))
    db.session.commit()
    record_last_run(app, "reminders", ok=True, seconds=0.5)
    text = client.get("/metrics").get_data(as_text=True)
    assert _value(text, "portal_outbox_messages", state="pending") == 2
    assert _value(text, "portal_outbox_messages", state="sent") == 1
    assert _value(text, "portal_outbox_messages", state="dead") == 0
    assert _value(text, "portal_scheduler_last_run_timestamp_seconds", job="reminders") > 1.7e9
    assert _value(text, "portal_scheduler_last_run_success", job="reminders") == 1


def test_other_addresses_get_not_found(app, client):
    assert client.get("/metrics", environ_base=REMOTE).status_code == 404


def test_a_client_relayed_by_a_local_proxy_is_judged_by_its_own_address(app, client):
    local = {"REMOTE_ADDR": "127.0.0.1"}
    relayed = client.get("/metrics", environ_base=local,
                         headers={"X-Forwarded-For": "198.51.100.4"})
    assert relayed.status_code == 404
    spoofed = client.get("/metrics", environ_base=local,
                         headers={"X-Forwarded-For": "127.0.0.1, 198.51.100.4"})
    assert spoofed.status_code == 404
    assert client.get("/metrics", environ_base=local,
                      headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


def test_non_admins_from_elsewhere_get_not_found(app, client):
    user = make_user("lead")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/metrics", environ_base=REMOTE).status_code == 404


def test_an_admin_reads_from_anywhere(app, client):
    user = make_user("admin")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.get("/metrics", environ_base=REMOTE)
    assert response.status_code == 200
    assert re.search(r"^# TYPE portal_http_requests_total counter", response.get_data(as_text=True),
                     re.M)


def test_allow_list_takes_addresses_and_networks(app_factory):
    application = app_factory(PORTAL_METRICS_ALLOW="10.0.0.0/8, 192.0.2.7")
    client = application.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404


def test_address_in():
    assert address_in("::1", networks("127.0.0.1,::1"))
    assert address_in("::ffff:127.0.0.1", networks("127.0.0.1"))
    assert not address_in("127.0.0.2", networks("127.0.0.1,::1"))
    assert not address_in("not-an-ip", networks("127.0.0.1"))
    assert not address_in("127.0.0.1", networks("junk, "))
    assert address_in("203.0.113.9", networks("*"))
