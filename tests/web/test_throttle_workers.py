"""Login throttling as deployed: gunicorn with two workers behind a proxy that forwards
the client's address, limits kept in Redis. The per-account limit holds across workers
(memory:// counts per worker), and the per-address limit is per real client: failures
from some clients never lock out another."""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.web.test_reminders_smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "throttle-test-passphrase"
EMAIL = "lead.throttle@example.com"
REDIS = "redis://127.0.0.1:6379/0"


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One client: its own cookies, and the address the proxy says it comes from."""

    def __init__(self, base: str, address: str):
        self.base, self.address = base, address
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def _open(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body,
                                         headers={"X-Forwarded-For": self.address})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, password: str, email: str = EMAIL) -> int:
        """The status of the sign-in POST (303 signed in, 401 refused, 429 throttled)."""
        _status, html = self._open("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        request = urllib.request.Request(
            self.base + "/login", headers={"X-Forwarded-For": self.address},
            data=urllib.parse.urlencode({"csrf_token": token, "email": email,
                                         "password": password}).encode())
        opener = urllib.request.build_opener(
            *[h for h in self.opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor)],
            NoRedirect())
        try:
            with opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture
def portal(tmp_path):
    """gunicorn, two workers, SQLite, limits in Redis under a key prefix of its own."""
    store = redis_client()
    prefix = f"portal-test-{secrets.token_hex(4)}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_ENV": "production",
        "SECRET_KEY": "throttle-secret", "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONPATH": str(ROOT), "FLASK_APP": "app.py", "WEB_CONCURRENCY": "2",
        "PORTAL_BIND": f"127.0.0.1:{port}", "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "RATELIMIT_STORAGE_URI": REDIS, "RATELIMIT_KEY_PREFIX": prefix,
        "PORTAL_LOGIN_ACCOUNT_LIMIT": "5 per 15 minutes",
        "PORTAL_LOGIN_ADDRESS_LIMIT": "8 per 15 minutes", "PORTAL_PASSWORD": PASSWORD})
    flask = str(BIN / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    subprocess.run([flask, "users", "create", EMAIL, "--name", "Lena Lead", "--role", "lead"],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    server = subprocess.Popen([str(BIN / "gunicorn"), "app:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).close()
            break
        except (urllib.error.URLError, OSError):
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.3)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)


def test_the_account_limit_holds_across_workers(portal):
    for n in range(5):  # each from its own client, so no address limit is near
        assert Browser(portal, f"198.51.100.{n + 1}").sign_in("wrong-password") == 401
    # The account is paused on every worker, for the right password too.
    assert [Browser(portal, f"203.0.113.{n + 1}").sign_in(PASSWORD) for n in range(6)] \
        == [429] * 6
    assert Browser(portal, "203.0.113.99").sign_in("wrong", "other@example.com") == 401


def test_failures_from_other_clients_do_not_lock_out_a_third(portal):
    """The finding: 10 + 40 bad sign-ins through the proxy locked out everyone, because
    the address limit counted the proxy's address."""
    for n, client in enumerate([Browser(portal, "198.51.100.7"), Browser(portal, "198.51.100.8")]):
        statuses = [client.sign_in("wrong-password", f"nobody{n}.{i}@example.com")
                    for i in range(9)]
        assert statuses == [401] * 8 + [429]  # each client is limited on its own
    assert Browser(portal, "192.0.2.50").sign_in(PASSWORD) == 303
