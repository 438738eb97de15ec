"""OpenID providers for the single sign-on tests, both real servers on loopback ports:

- `real_provider`: oidc-provider (a certified implementation, from the npm registry, pinned
  in tests/oidc_provider/) run by Node.js with tests/oidc_provider/server.mjs; the browser
  journey signs in through its login page.
- `SigningProvider`: a small provider whose discovery, keys, token and user info endpoints
  answer with ID tokens the test signs itself, so that a test can send a wrong issuer or
  audience, an expired token, a bad signature, no nonce or an unverified email.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.conftest import unavailable

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "readiness-portal"
CLIENT_SECRET = "test-client-secret-0123456789"  # noqa: S105 (a test provider's client)
ROLE_MAP = "portal-admins=admin,launch-leads=lead,program-owners=owner"


def sso_settings(issuer: str, **overrides) -> dict:
    """The portal's OIDC_* settings for a provider at `issuer`."""
    settings = {"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_SCOPES": "openid email profile groups",
                "OIDC_BUTTON_LABEL": "Sign in with Test SSO", "OIDC_ROLES_CLAIM": "groups",
                "OIDC_ROLE_MAP": ROLE_MAP, "OIDC_DEFAULT_ROLE": "",
                "OIDC_ALLOWED_DOMAINS": "example.com", "OIDC_TIMEOUT_SECONDS": 5}
    settings.update(overrides)
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- oidc-provider, the real one ---------------------------------------------------------------


def node_provider_installed() -> None:
    """Skips (fails under CI=true) without Node.js and npm; installs the pinned provider from
    the lock file when it is missing."""
    npm = shutil.which("npm")
    if not shutil.which("node") or not npm:
        unavailable("Node.js or npm is missing: the test OpenID provider needs them")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True,
                       timeout=300, capture_output=True)


@dataclass
class RealProvider:
    issuer: str
    accounts_file: Path
    accounts: dict

    def update(self, login: str, **changes) -> None:
        """Changes a person at the provider (their groups, their email); the provider reads
        the file again at the next sign-in."""
        self.accounts[login].update(changes)
        self.accounts_file.write_text(json.dumps(self.accounts))


@contextmanager
def real_provider(portal_url: str, accounts: dict, workdir: Path, port: int | None = None):
    """oidc-provider on a loopback port, for the portal at `portal_url`, with `accounts`
    ({login: {sub, password, email, name, groups}}); stopped on exit."""
    node_provider_installed()
    port = port or free_port()
    accounts_file = workdir / "accounts.json"
    accounts_file.write_text(json.dumps(accounts))
    log = (workdir / "provider.log").open("w+")
    env = {**os.environ, "PROVIDER_PORT": str(port), "PORTAL_URL": portal_url,
           "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
           "ACCOUNTS_FILE": str(accounts_file), "NODE_ENV": "test"}
    process = subprocess.Popen([shutil.which("node"), "server.mjs"], cwd=PROVIDER_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        ready = threading.Event()

        def wait_for_ready():
            for line in process.stdout:
                if line.startswith("ready "):
                    ready.set()
                    break

        threading.Thread(target=wait_for_ready, daemon=True).start()
        if not ready.wait(30):
            log.seek(0)
            raise RuntimeError(f"the OpenID provider did not start: {log.read()[-2000:]}")
        yield RealProvider(issuer=f"http://127.0.0.1:{port}", accounts_file=accounts_file,
                           accounts=accounts)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


# --- A provider that signs what the test asks for ----------------------------------------------


@dataclass
class Person:
    """Who signs in at the SigningProvider, and what it says about them."""

    sub: str = "u-1001"
    email: str | None = "lena.lead@example.com"
    email_verified: bool | None = True
    name: str = "Lena Lead"
    groups: list[str] = field(default_factory=lambda: ["launch-leads"])

    def claims(self) -> dict:
        claims = {"sub": self.sub, "name": self.name, "groups": list(self.groups)}
        if self.email is not None:
            claims["email"] = self.email
        if self.email_verified is not None:
            claims["email_verified"] = self.email_verified
        return claims


class SigningProvider:
    """An OpenID provider on a loopback port whose ID tokens the test shapes: set `person`
    for who signs in, `tamper` to change the next ID token's claims (a value of None drops
    the claim), and `signing_key` to sign with a key it does not publish. It checks the
    client's secret, the redirect URI and the PKCE verifier as a real provider does."""

    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.signing_key = self.key
        self.person = Person()
        self.tamper: dict = {}
        self.grants: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.requests: list[str] = []
        self.down = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SigningProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def metadata(self) -> dict:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "end_session_endpoint": f"{self.issuer}/logout",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]}

    def authorize(self, authorization_url: str) -> tuple[str, str]:
        """What its sign-in page does once the person signed in: checks the request and
        returns the code and state the portal's callback receives."""
        query = {key: values[0] for key, values in
                 parse_qs(urlsplit(authorization_url).query).items()}
        assert authorization_url.startswith(f"{self.issuer}/authorize?")
        assert query["client_id"] == self.client_id
        assert query["response_type"] == "code"
        assert "openid" in query["scope"].split()
        assert query["code_challenge_method"] == "S256"
        assert query["state"] and query["nonce"]
        code = secrets.token_urlsafe(16)
        self.grants[code] = {"nonce": query["nonce"], "challenge": query["code_challenge"],
                             "redirect_uri": query["redirect_uri"], "person": self.person}
        return code, query["state"]

    def id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], **grant["person"].claims()}
        for name, value in self.tamper.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.signing_key)

    def _token(self, form: dict, authorization: str) -> tuple[int, dict]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        grant = self.grants.pop(form.get("code", ""), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier"}
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = grant["person"].claims()
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                     "id_token": self.id_token(grant)}

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = self.path.split("?")[0]
                provider.requests.append(path)
                if provider.down:
                    return self._send(503, {"error": "temporarily_unavailable"})
                if path == "/.well-known/openid-configuration":
                    return self._send(200, provider.metadata())
                if path == "/jwks":
                    return self._send(200, {"keys": [provider.key.as_dict(private=False)]})
                if path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in provider.tokens:
                        return self._send(401, {"error": "invalid_token"})
                    return self._send(200, provider.tokens[token])
                return self._send(404, {"error": "not_found"})

            def do_POST(self):
                provider.requests.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {key: values[0] for key, values in
                        parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != "/token":
                    return self._send(404, {"error": "not_found"})
                return self._send(*provider._token(form, self.headers.get("Authorization", "")))

        return Handler


def sign_in_with(client, provider: SigningProvider, next_url: str | None = None):
    """The whole journey through the test client: the portal sends the browser to the
    provider, the person signs in there, the provider sends them back with a code."""
    response = client.get("/auth/oidc/login", query_string={"next": next_url} if next_url else {})
    assert response.status_code == 302, response.get_data(as_text=True)
    code, state = provider.authorize(response.location)
    return client.get("/auth/oidc/callback", query_string={"code": code, "state": state})
