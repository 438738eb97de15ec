"""The reminder policy as pure functions: points, urgency, send hour, weekdays, pause."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal.reminders.policy import (
    ItemInfo,
    Prefs,
    ReminderSettings,
    due_points,
    escalation_kind,
    point_kind,
    send_day,
)

S = ReminderSettings()
WED = date(2026, 3, 4)  # a Wednesday


def prefs(pid=1, **kw):
    return Prefs(person_id=pid, email=f"p{pid}@example.com", **kw)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


@pytest.mark.parametrize("days_left,kind", [
    (9, None), (8, None), (7, "before:7"), (5, "before:7"), (3, "before:7"), (2, "before:2"),
    (1, "before:2"), (0, "due:0"), (-1, "overdue:1"), (-3, "overdue:1"), (-4, "overdue:4"),
    (-6, "overdue:4"), (-7, "overdue:7"), (-10, "overdue:10"),
])
def test_default_points_and_the_most_urgent_one_wins(days_left, kind):
    assert point_kind(days_left, S) == kind


def test_custom_points():
    custom = ReminderSettings(days_before=(14, 1), on_due_date=False, overdue_first=2,
                              overdue_every=5, escalate_after=0)
    assert point_kind(10, custom) == "before:14"
    assert point_kind(1, custom) == "before:1"
    assert point_kind(0, custom) == "before:1"
    assert point_kind(-1, custom) == "before:1"
    assert point_kind(-2, custom) == "overdue:2"
    assert point_kind(-7, custom) == "overdue:7"
    assert escalation_kind(-30, custom) is None


def test_escalation_from_seven_days_late():
    assert escalation_kind(-6, S) is None
    assert escalation_kind(-7, S) == "escalation:7"
    assert escalation_kind(-9, S) == "escalation:7"
    assert escalation_kind(-10, S) == "escalation:10"


def test_settings_round_trip_and_garbage():
    custom = ReminderSettings(days_before=(3,), overdue_every=2)
    assert ReminderSettings.from_json(custom.as_json()) == custom
    assert ReminderSettings.from_json({"days_before": ["x"]}) == ReminderSettings()
    assert ReminderSettings.from_json(None) == ReminderSettings()


def test_one_digest_per_recipient_with_only_the_most_urgent_point_per_item():
    items = [ItemInfo(1, "open", WED + timedelta(days=1), 1),
             ItemInfo(2, "in_progress", WED - timedelta(days=5), 1),
             ItemInfo(3, "done", WED, 1),
             ItemInfo(4, "open", None, 1),
             ItemInfo(5, "proposed", WED + timedelta(days=30), 1)]
    digests = due_points(items, {1: prefs()}, S, at(WED))
    assert list(digests) == [1]
    assert digests[1].local_date == WED
    assert {(p.item_id, p.kind) for p in digests[1].points} == {(1, "before:2"), (2, "overdue:4")}
    assert digests[1].idempotency_key == "digest:1:2026-03-04"


def test_most_urgent_point_after_an_outage_of_several_days():
    item = ItemInfo(1, "open", WED + timedelta(days=1), 1)
    # Nothing ran for a week; the item was "due in 7 days" then. Now only "due in 2" applies.
    digests = due_points([item], {1: prefs()}, S, at(WED))
    assert [p.kind for p in digests[1].points] == ["before:2"]


def test_recipients_without_email_get_nothing():
    item = ItemInfo(1, "open", WED, 1)
    assert due_points([item], {1: Prefs(person_id=1, email=None)}, S, at(WED)) == {}
    assert due_points([item], {}, S, at(WED)) == {}


@pytest.mark.parametrize("zone,utc_hour,expected", [
    ("Asia/Tokyo", 22, None),          # 07:00 in Tokyo, next day
    ("Asia/Tokyo", 23, date(2026, 3, 5)),  # 08:00 in Tokyo
    ("America/Los_Angeles", 15, None),     # 07:00 in Los Angeles
    ("America/Los_Angeles", 16, WED),      # 08:00 in Los Angeles
    (None, 7, None),
    (None, 8, WED),
])
def test_send_hour_in_the_recipients_zone(zone, utc_hour, expected):
    assert send_day(prefs(timezone=zone), at(WED, utc_hour), None) == expected


def test_zone_falls_back_to_the_portal_zone_then_utc():
    assert send_day(prefs(), at(WED, 7), "Europe/Berlin") == WED       # 08:00 in Berlin
    assert send_day(prefs(timezone="Not/AZone"), at(WED, 7), None) is None  # UTC 07:00
    assert send_day(prefs(send_hour=6), at(WED, 6), None) == WED


def test_weekdays_only_weekend_points_come_on_friday_overdue_ones_on_monday():
    fri, sat, sun, mon = date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)
    p = {1: prefs(weekdays_only=True)}
    due_sat = ItemInfo(1, "open", sat, 1)
    # Friday: the due-day point of Saturday comes forward.
    assert [x.kind for x in due_points([due_sat], p, S, at(fri))[1].points] == ["due:0"]
    # Nothing on the weekend.
    assert due_points([due_sat], p, S, at(sat)) == {}
    assert due_points([due_sat], p, S, at(sun)) == {}
    # The overdue point of Sunday goes out on Monday.
    assert [x.kind for x in due_points([due_sat], p, S, at(mon))[1].points] == ["overdue:1"]
    # Without the preference, Saturday has its own mail.
    assert [x.kind for x in due_points([due_sat], {1: prefs()}, S, at(sat))[1].points] == \
        ["due:0"]
    # A "2 days before" that falls on Saturday (due Monday) comes on Friday.
    due_mon = ItemInfo(2, "open", mon, 1)
    assert [x.kind for x in due_points([due_mon], p, S, at(fri))[1].points] == ["before:2"]


def test_pause_range_and_return():
    item = ItemInfo(1, "open", WED + timedelta(days=2), 1)
    paused = {1: prefs(pause_from=WED - timedelta(days=1), pause_until=WED + timedelta(days=1))}
    assert due_points([item], paused, S, at(WED)) == {}
    back = due_points([item], paused, S, at(WED + timedelta(days=2)))
    assert [p.kind for p in back[1].points] == ["due:0"]
    open_ended = {1: prefs(pause_until=WED)}
    assert due_points([item], open_ended, S, at(WED)) == {}


def test_overdue_only_opt_out():
    soon = ItemInfo(1, "open", WED + timedelta(days=1), 1)
    late = ItemInfo(2, "open", WED - timedelta(days=1), 1)
    digests = due_points([soon, late], {1: prefs(overdue_only=True)}, S, at(WED))
    assert [(p.item_id, p.kind) for p in digests[1].points] == [(2, "overdue:1")]


def test_escalation_goes_to_the_workstream_lead_in_their_own_time():
    late = ItemInfo(1, "open", WED - timedelta(days=8), owner_id=1, lead_id=2)
    people = {1: prefs(1), 2: prefs(2, timezone="Asia/Tokyo")}
    digests = due_points([late], people, S, at(WED, 9))
    assert [p.kind for p in digests[1].points] == ["overdue:7"]
    assert [p.kind for p in digests[2].points] == ["escalation:7"]
    assert digests[2].local_date == WED  # 18:00 in Tokyo
    # The lead who owns the item gets no escalation about themself.
    own = ItemInfo(2, "open", WED - timedelta(days=8), owner_id=2, lead_id=2)
    assert [p.kind for p in due_points([own], people, S, at(WED))[2].points] == ["overdue:7"]
    # Six days late: no escalation yet.
    early = ItemInfo(3, "open", WED - timedelta(days=6), owner_id=1, lead_id=2)
    assert 2 not in due_points([early], people, S, at(WED))
