"""Fixtures of the web tests."""
from __future__ import annotations

import json
import logging

import pytest

from portal.observability import JsonFormatter


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[dict] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def request_log():
    """The portal's request log lines, as the JSON objects it writes."""
    handler = Lines()
    logger = logging.getLogger("portal.request")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


@pytest.fixture(scope="session")
def _signing_provider():
    from tests.sso import SigningProvider

    with SigningProvider() as provider:
        yield provider


@pytest.fixture
def provider(_signing_provider):
    """The provider that signs what the test asks for (tests/sso.py), reset for each test."""
    from tests.sso import Person

    provider = _signing_provider
    provider.person, provider.tamper, provider.signing_key = Person(), {}, provider.key
    provider.down = False
    for kept in (provider.grants, provider.tokens, provider.requests):
        kept.clear()
    return provider


@pytest.fixture
def sso_app(app_factory, provider):
    """The portal with single sign-on through `provider` (roles from groups, example.com
    addresses only, people in no mapped group refused)."""
    from tests.sso import sso_settings

    application = app_factory(**sso_settings(provider.issuer))
    with application.app_context():
        yield application
