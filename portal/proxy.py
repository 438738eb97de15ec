"""Client addresses behind a reverse proxy, trusted only from the proxy itself.

Behind the documented proxy every request arrives from the proxy's address, so the
login throttle, the security log and /metrics would all see one client. Werkzeug's
ProxyFix takes the client from X-Forwarded-For (and the scheme from X-Forwarded-Proto),
but only for requests whose peer is listed in FORWARDED_ALLOW_IPS (the same setting
gunicorn reads), counting PORTAL_PROXY_HOPS proxies; from anyone else those headers are
ignored, so a client cannot choose its own address.
"""
from __future__ import annotations

import ipaddress
import logging

from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)


def networks(setting: str) -> list:
    """The comma-separated addresses or networks of `setting`; `*` is every address."""
    found = []
    for part in (p.strip() for p in setting.split(",")):
        if part == "*":
            found += [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
        elif part:
            try:
                found.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                log.warning("ignoring %r: not an address or network", part)
    return found


def address_in(address: str | None, allowed: list) -> bool:
    """Whether `address` falls in one of the `allowed` networks."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    return any(ip in network for network in allowed)


class TrustedProxyFix:
    """ProxyFix for requests from a trusted proxy; other requests are left as they came."""

    def __init__(self, wsgi_app, trusted: str, hops: int):
        self.wsgi_app = wsgi_app
        self.trusted = networks(trusted)
        self.fixed = ProxyFix(wsgi_app, x_for=hops, x_proto=hops)

    def __call__(self, environ, start_response):
        if address_in(environ.get("REMOTE_ADDR"), self.trusted):
            return self.fixed(environ, start_response)
        return self.wsgi_app(environ, start_response)
