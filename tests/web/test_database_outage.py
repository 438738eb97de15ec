"""PostgreSQL going away mid-run: a clear 503 page, /healthz 503, and recovery on return.

The portal reaches PostgreSQL through a TCP relay on loopback that the test stops and
starts, so the database really becomes unreachable for the portal and then comes back.
"""
from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest

from portal.extensions import db
from tests.conftest import _truncate_all, count_queries, make_app
from tests.factories import PASSWORD, make_program, make_user


class Relay:
    """Forwards loopback connections to the real server until stopped."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = None
        self._listener = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        """The database goes away: no new connections, open ones cut."""
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self._sockets.clear()


@pytest.fixture
def relayed_app(postgres_url, tmp_path):
    parts = urlsplit(postgres_url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    relay.start()
    netloc = parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{relay.port}")
    app = make_app(urlunsplit(parts._replace(netloc=netloc)), tmp_path)
    with app.app_context():
        db.create_all()
    yield app, relay
    relay.stop()
    relay.start()
    _truncate_all(app)
    relay.stop()
    with app.app_context():
        db.engine.dispose()


def test_outage_gives_503_and_the_portal_recovers(relayed_app):
    app, relay = relayed_app
    with app.app_context():
        make_program()
        email = make_user("lead").email
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 303
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200

    relay.stop()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["database"] == "unreachable"
    page = client.get("/")
    assert page.status_code == 503
    assert b"database cannot be reached" in page.data
    assert b"Traceback" not in page.data

    relay.start()
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200


def test_a_cached_page_survives_a_database_restart(relayed_app):
    """A hit's one statement is also its connection's ping: when the database dropped the
    pooled connection, the statement is retried once on a new one, and the reader never
    sees the restart."""
    app, relay = relayed_app
    with app.app_context():
        email = make_user("lead").email
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    for _ in range(3):
        assert client.get("/summary").status_code == 200  # the last one a hit

    relay.stop()
    relay.start()  # the database is back; every pooled connection was cut
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as run:
        page = client.get("/summary")
    assert page.status_code == 200 and b"Readiness" in page.data
    assert len(run) == 2  # the data version, failed once on the dropped connection


def test_other_requests_get_a_pinged_connection_after_a_restart(relayed_app):
    """Everything else is pinged on checkout: a dropped connection is replaced first."""
    app, relay = relayed_app
    with app.app_context():
        email = make_user("lead").email
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    assert client.get("/activity").status_code == 200

    relay.stop()
    relay.start()
    assert client.get("/activity").status_code == 200
    assert client.get("/healthz").status_code == 200
