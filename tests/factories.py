"""Small factories for tests: each makes one row with sensible defaults and flushes."""
from __future__ import annotations

import itertools
from datetime import date

from portal.audit.log import Actor
from portal.auth import users
from portal.extensions import db
from portal.people.models import Person
from portal.people.names import name_key

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_person(name: str | None = None, email: str | None = "auto", **fields) -> Person:
    name = name or f"Person {next(_seq)}"
    if email == "auto":
        email = ".".join(name.lower().split()) + f".{next(_seq)}@example.com"
    person = Person(name=name, name_key=name_key(name), email=email, **fields)
    db.session.add(person)
    db.session.flush()
    return person


def make_user(role: str = "lead", email: str | None = None, with_person: bool = True, **fields):
    """A login acting as a new person; `with_person=False` leaves it acting as nobody (as a
    login whose person was deleted does)."""
    n = next(_seq)
    email = email or f"{role}{n}@example.com"
    person = make_person(f"{role.capitalize()} User{n}", email=email)
    user = users.create_user(
        db.session, Actor(via="cli"), email=email, name=f"{role.capitalize()} User{n}",
        role=role, password=PASSWORD, person_id=person.id, **fields,
    )
    if not with_person:
        user.person_id = None
        db.session.delete(person)
    db.session.commit()
    return user


def make_program(**fields):
    from portal.program.models import Program

    program = Program(name=fields.pop("name", "Test program"),
                      target_date=fields.pop("target_date", date(2026, 2, 1)), **fields)
    db.session.add(program)
    db.session.flush()
    return program


def make_workstream(program=None, **fields):
    from portal.program.models import Workstream

    program = program or make_program()
    ws = Workstream(program=program, name=fields.pop("name", f"Workstream {next(_seq)}"), **fields)
    db.session.add(ws)
    db.session.flush()
    return ws


def make_item(title: str | None = None, **fields):
    from portal.actions.models import ActionItem

    title = title or f"Item {next(_seq)}"
    item = ActionItem(title=title, title_key=" ".join(title.casefold().split()), **fields)
    db.session.add(item)
    db.session.flush()
    return item


def signed_in(app, role: str = "lead", **fields):
    """A test client signed in as a new login of `role` (its person made with it)."""
    user = make_user(role, **fields)
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    return client
