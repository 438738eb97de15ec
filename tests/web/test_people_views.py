"""People pages: list, edit, aliases, items; leads edit, others read."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.people.models import Person, PersonAlias
from tests.factories import PASSWORD, make_item, make_person, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def lead_client(app):
    client = app.test_client()
    client.post("/login", data={"email": make_user("lead").email, "password": PASSWORD})
    return client


def test_list_highlights_people_without_email(lead_client):
    make_person("Legal", email=None, kind="team")
    make_person("Christina")
    db.session.commit()
    page = lead_client.get("/people")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "row-no-email" in html and "No email — no reminders" in html
    assert "1 has no email address" in html
    fragment = lead_client.get("/people?missing=1", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "Legal" in fragment and "Christina" not in fragment
    assert "Christina" in lead_client.get("/people?q=christ").get_data(as_text=True)
    assert lead_client.get("/people?page=-1").status_code == 400


def test_person_page_lists_their_items(lead_client):
    person = make_person("Rob Banga")
    make_item("Recruit SREs", owner_id=person.id, status="open")
    make_item("Someone else's", status="open")
    db.session.commit()
    response = lead_client.get(f"/people/{person.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Recruit SREs" in html and "Someone else" not in html
    fragment = lead_client.get(f"/people/{person.id}", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "Recruit SREs" in fragment
    assert lead_client.get("/people/999999").status_code == 404


def test_edit_person(lead_client):
    person = make_person("Timo Pervane", email=None)
    db.session.commit()
    response = lead_client.post(f"/people/{person.id}", data={
        "name": "Timo  Pervane", "email": " Timo.Pervane@Example.com ", "kind": "person",
        "timezone": "Europe/Helsinki", "version": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Person, person.id)
    assert (saved.name, saved.email, saved.timezone) == ("Timo Pervane",
                                                        "timo.pervane@example.com",
                                                        "Europe/Helsinki")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "person",
                                                       AuditEvent.action == "update"))
    assert event.before["email"] is None and event.after["email"] == "timo.pervane@example.com"


@pytest.mark.parametrize("data,message", [
    ({"name": ""}, "A name is required"),
    ({"name": "x" * 121}, "120 characters"),
    ({"email": "not-an-email"}, "Not a valid email address"),
    ({"email": "taken@example.com"}, "already has this address"),
    ({"email": "TAKEN@example.com"}, "already has this address"),
    ({"timezone": "Mars/Olympus"}, "is not a time zone"),
    ({"kind": "robot"}, "Not a valid choice"),
    ({"name": "Christina"}, "already has this name"),
])
def test_edit_person_refuses_bad_input(lead_client, data, message):
    make_person("Christina", email="taken@example.com")
    person = make_person("Rob Banga", email="rob@example.com")
    db.session.commit()
    base = {"name": "Rob Banga", "email": "rob@example.com", "kind": "person", "timezone": "",
            "version": "1"}
    for headers in (HX, {}):
        response = lead_client.post(f"/people/{person.id}", data={**base, **data},
                                    headers=headers)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html and ("<html" in html) == (not headers)
    db.session.expire_all()
    saved = db.session.get(Person, person.id)
    assert (saved.name, saved.email, saved.kind) == ("Rob Banga", "rob@example.com", "person")


def test_a_stale_details_form_saves_nothing_and_shows_both(app, lead_client):
    """Two leads on one person's details: the later save, opened before the earlier one
    landed, is refused (409) with the saved values beside its own, and nothing is lost;
    saving again puts it over knowingly. A missing version is refused the same way."""
    person = make_person("Rob Banga", email="rob@example.com")
    db.session.commit()
    base = {"name": "Rob Banga", "email": "rob@example.com", "kind": "person", "timezone": ""}
    first = lead_client.post(f"/people/{person.id}", data={
        **base, "email": "rob.banga@example.com", "version": "1"})
    assert first.status_code == 303
    other = app.test_client()
    other.post("/login", data={"email": make_user("lead").email, "password": PASSWORD})
    for headers in (HX, {}):
        stale = other.post(f"/people/{person.id}", headers=headers, data={
            **base, "name": "Rob B. Banga", "version": "1"})
        assert stale.status_code == 409
        html = stale.get_data(as_text=True)
        assert "Not saved" in html and "Save mine over theirs" in html
        table = html[html.index("person-conflict-table"):]
        assert "rob.banga@example.com" in table and "Rob B. Banga" in table
        assert 'name="version" value="2"' in html
    assert other.post(f"/people/{person.id}", data={**base, "name": "X"}).status_code == 409
    db.session.expire_all()
    saved = db.session.get(Person, person.id)
    assert (saved.name, saved.email, saved.version) == ("Rob Banga", "rob.banga@example.com", 2)
    again = other.post(f"/people/{person.id}", data={
        **base, "email": "rob.banga@example.com", "name": "Rob B. Banga", "version": "2"})
    assert again.status_code == 303
    db.session.expire_all()
    assert db.session.get(Person, person.id).name == "Rob B. Banga"


def test_aliases_add_and_remove(lead_client):
    timo = make_person("Timo Pervane")
    other = make_person("Christina")
    db.session.commit()
    assert lead_client.post(f"/people/{timo.id}/aliases",
                            data={"alias": "Timo Pervane Pervane"}).status_code == 303
    for alias, message in (("timo  PERVANE pervane", "this person already has this alias"),
                           ("Timo Pervane", "already this person's name"),
                           ("Christina", "is called that"),
                           ("", "Type the other spelling"),
                           ("x" * 121, "120 characters")):
        response = lead_client.post(f"/people/{timo.id}/aliases", data={"alias": alias},
                                    headers=HX)
        assert response.status_code == 422, alias
        assert message in response.get_data(as_text=True).replace("&#39;", "'"), alias
    response = lead_client.post(f"/people/{other.id}/aliases",
                                data={"alias": "Timo Pérvane Pervane"})
    assert response.status_code == 422 and "Timo Pervane already has this alias" in \
        response.get_data(as_text=True)
    alias = db.session.scalar(select(PersonAlias))
    assert alias.alias_key == "timo pervane pervane"
    # Another person's alias cannot be removed through this person's page.
    assert lead_client.post(f"/people/{other.id}/aliases/{alias.id}/delete").status_code == 404
    assert lead_client.post(f"/people/{timo.id}/aliases/{alias.id}/delete").status_code == 303
    assert db.session.scalar(select(func.count(PersonAlias.id))) == 0


def test_create_person(lead_client):
    response = lead_client.post("/people", data={"name": "Product Marketing", "email": "",
                                                 "kind": "team", "timezone": ""})
    assert response.status_code == 303
    team = db.session.scalar(select(Person).where(Person.name == "Product Marketing"))
    assert team.kind == "team" and team.email is None and team.name_key == "product marketing"
    again = lead_client.post("/people", data={"name": "product  marketing", "kind": "team"})
    assert again.status_code == 422


@pytest.mark.parametrize("role", ["owner", "executive"])
def test_others_read_but_do_not_edit(app, role):
    person = make_person("Rob Banga")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": make_user(role).email, "password": PASSWORD})
    html = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "Rob Banga" in html and 'id="edit"' not in html and "Add alias" not in html
    assert client.post(f"/people/{person.id}", data={"name": "X", "kind": "person"}
                       ).status_code == 403
    assert client.post(f"/people/{person.id}/aliases", data={"alias": "Robert"}
                       ).status_code == 403
    assert client.post("/people", data={"name": "New", "kind": "person"}).status_code == 403
