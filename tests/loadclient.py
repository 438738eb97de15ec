"""Helpers for the tests that drive the portal over real HTTP on loopback: the app served
by werkzeug in a background thread, and a small stdlib client with its own cookies (one
per simulated user). No test here."""
from __future__ import annotations

import http.client
import logging
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from werkzeug.serving import make_server

TIMEOUT = 30  # seconds per request: a hung request fails the test instead of hanging it


@contextmanager
def serve(app):
    """The app on a free loopback port, one thread per request; stopped on exit."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-portal", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    def version(self) -> int | None:
        """The item version an action row or form carries, if any."""
        match = (re.search(r'data-version="(\d+)"', self.text)
                 or re.search(r'name="version" value="(\d+)"', self.text))
        return int(match.group(1)) if match else None


@dataclass
class Client:
    """One simulated user: its own cookies, one connection per request."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    log: list[tuple[str, str, int]] = field(default_factory=list)

    def request(self, method: str, path: str, data: dict | None = None,
                headers: dict | None = None) -> Response:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        try:
            sent = dict(headers or {})
            body = None
            if data is not None:
                body = urlencode(data, doseq=True)
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for header in raw.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value == "" or "1970" in (morsel["expires"] or ""):
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            conn.close()
        self.log.append((method, path, response.status))
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> Response:
        return self.request("POST", path, data=data, **kwargs)

    def login(self, email: str, password: str) -> Client:
        response = self.post("/login", {"email": email, "password": password})
        assert response.status == 303, f"login of {email}: {response.status}"
        assert self.get("/actions").status == 200, f"{email} is not signed in"
        return self


def server_errors(clients) -> list[tuple[str, str, int]]:
    """Every request of these clients that got a 5xx."""
    return [entry for client in clients for entry in client.log if entry[2] >= 500]


def run_threads(target, args_list, time_limit: float) -> list[BaseException]:
    """Runs target(stop, *args) in one thread each and returns the exceptions they raised.

    After `time_limit` seconds `stop` is set, which the targets check between requests;
    a thread still running after that (plus one request's timeout) is reported too."""
    errors: list[BaseException] = []
    lock = threading.Lock()
    stop = threading.Event()

    def wrapped(*args):
        try:
            target(stop, *args)
        except BaseException as error:  # reported to the test, which fails on it
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=wrapped, args=args, daemon=True) for args in args_list]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + time_limit
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=TIMEOUT)
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        errors.append(TimeoutError(f"threads still running after the time limit: {stuck}"))
    return errors
