"""The dashboard's head on a laptop: the countdown stays beside the program's name, however
long the lines under the name get (the forecast line names the workstreams the date hangs
on, and wraps under the name rather than pushing the countdown onto a row of its own)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_countdown_stays_beside_a_long_forecast_line(page, login):
    page.set_viewport_size({"width": 1280, "height": 800})
    login("lead@example.com")
    page.goto("/")
    page.locator(".dash-forecast").evaluate(
        "line => { line.textContent = 'The date hangs on '.repeat(20); }")
    name = page.locator(".dash-head h1").bounding_box()
    countdown = page.locator(".dash-head .countdown").bounding_box()
    line = page.locator(".dash-forecast").bounding_box()
    assert countdown["x"] > name["x"] + name["width"]
    assert countdown["y"] < line["y"]  # on the name's row, not below the lines
    assert line["x"] + line["width"] <= countdown["x"]  # the line wraps before it
