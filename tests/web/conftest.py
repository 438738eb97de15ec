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
