"""Time zones are picked from the IANA list, never typed (issue 17, point 11)."""
from __future__ import annotations

import re

import pytest

from portal.clock import known_zones
from portal.extensions import db
from portal.forms import zone_groups
from portal.people.models import Person
from tests.factories import PASSWORD, make_person, make_program, make_user


@pytest.fixture
def lead_client(app):
    make_program(timezone="Europe/Berlin")
    user = make_user("lead")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def zone_select(html: str) -> str:
    match = re.search(r'<select[^>]*name="timezone"[^>]*>.*?</select>', html, re.S)
    assert match, "no time zone select"
    return match.group(0)


def selected(select: str) -> list[str]:
    return re.findall(r'<option selected value="([^"]*)"', select)


def test_the_choices_are_the_iana_zones_sorted_by_region():
    groups = zone_groups(None, empty="The program's time zone")
    assert groups[None] == [("", "The program's time zone")]
    assert groups["Universal"] == ["UTC"]
    europe = groups["Europe"]
    assert europe == sorted(europe) and "Europe/Berlin" in europe
    assert set().union(*(set(v) for k, v in groups.items() if k)) <= known_zones()
    assert "US/Eastern" not in str(groups)  # old aliases are not offered ...
    assert zone_groups("US/Eastern")["Current"] == ["US/Eastern"]  # ... unless stored


def test_people_pages_offer_a_select_with_the_current_zone(lead_client):
    create = zone_select(lead_client.get("/people").get_data(as_text=True))
    assert selected(create) == [] and '<option value="">The program&#39;s time zone' in create
    person = make_person("Timo", timezone="Asia/Tokyo")
    legacy = make_person("Olga", timezone="US/Eastern")
    db.session.commit()
    edit = zone_select(lead_client.get(f"/people/{person.id}").get_data(as_text=True))
    assert selected(edit) == ["Asia/Tokyo"] and '<optgroup label="America">' in edit
    kept = zone_select(lead_client.get(f"/people/{legacy.id}").get_data(as_text=True))
    assert selected(kept) == ["US/Eastern"]


def test_people_refuse_an_unknown_zone_with_422(lead_client):
    person = make_person("Rob Banga")
    db.session.commit()
    response = lead_client.post(f"/people/{person.id}", data={
        "name": "Rob Banga", "kind": "person", "timezone": "Mars/Olympus", "version": "1"})
    assert response.status_code == 422 and "is not a time zone" in response.get_data(True)
    db.session.expire_all()
    assert db.session.get(Person, person.id).timezone is None
    saved = lead_client.post(f"/people/{person.id}", data={
        "name": "Rob Banga", "kind": "person", "timezone": "Europe/Helsinki", "version": "1"})
    assert saved.status_code in (200, 303)
    db.session.expire_all()
    assert db.session.get(Person, person.id).timezone == "Europe/Helsinki"


def test_reminder_preferences_offer_a_select_and_refuse_an_unknown_zone(app):
    make_program(timezone="Europe/Berlin")
    user = make_user("owner")
    user.person.timezone = "America/Chicago"
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    url = f"/people/{user.person_id}/reminders"
    html = client.get(url).get_data(as_text=True)
    select = zone_select(html)
    assert selected(select) == ["America/Chicago"] and "tz-list" not in html
    assert "The program&#39;s time zone is Europe/Berlin." in html
    bad = client.post(url, data={"send_hour": "8", "reminders": "y", "timezone": "Mars/Olympus"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Unknown time zone: choose one from the list." in page
    assert selected(zone_select(page)) == ["Mars/Olympus"]  # what was sent, shown beside it
    db.session.expire_all()
    assert db.session.get(Person, user.person_id).timezone == "America/Chicago"
