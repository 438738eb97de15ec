"""Every login is a person: `flask users create`, the Users page and the migration link a
login to the person with its email, else by name or alias as the importer matches, else
to a new person; never two persons for one human, never two logins for one person."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from portal.auth.models import User
from portal.extensions import db
from portal.people.models import Person, PersonAlias
from portal.people.names import name_key
from tests.factories import PASSWORD, make_person, make_user


def create(app, email, name, role="owner"):
    runner = app.test_cli_runner()
    return runner.invoke(args=["users", "create", email, "--name", name, "--role", role],
                         env={"PORTAL_PASSWORD": PASSWORD})


def login(email) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def people_named(name) -> int:
    return db.session.scalar(select(func.count()).select_from(Person)
                             .where(Person.name_key == name_key(name)))


def test_by_email(app):
    person = make_person("Rob Banga", email="rob@example.com")
    db.session.commit()
    result = create(app, "ROB@example.com", "Robert B.")
    assert result.exit_code == 0, result.output
    assert "acting as Rob Banga" in result.output
    assert login("rob@example.com").person_id == person.id


def test_by_name_gives_the_person_the_email(app):
    person = make_person("Zoë Núñez", email=None)
    db.session.commit()
    assert create(app, "zoe@example.com", "zoe  nunez").exit_code == 0
    assert login("zoe@example.com").person_id == person.id
    assert db.session.get(Person, person.id).email == "zoe@example.com"
    assert people_named("Zoë Núñez") == 1


def test_by_alias(app):
    person = make_person("Timo Pervane", email=None)
    db.session.add(PersonAlias(person=person, alias="Timo P", alias_key="timo p"))
    db.session.commit()
    assert create(app, "timo@example.com", "Timo P").exit_code == 0
    assert login("timo@example.com").person_id == person.id


@pytest.mark.parametrize("written", ["Timo Pervane Pervane", "Timo Pervanne"])
def test_near_duplicate_name_is_the_same_person(app, written):
    person = make_person("Timo Pervane", email=None)
    db.session.commit()
    assert create(app, "timo@example.com", written).exit_code == 0
    assert login("timo@example.com").person_id == person.id
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_a_different_short_name_is_another_person(app):
    jan = make_person("Jan Li", email=None)
    db.session.commit()
    assert create(app, "jon@example.com", "Jon Li").exit_code == 0
    assert login("jon@example.com").person_id != jan.id
    assert db.session.scalar(select(func.count()).select_from(Person)) == 2


def test_new_person(app):
    assert create(app, "new@example.com", "Brand New", role="lead").exit_code == 0
    user = login("new@example.com")
    person = db.session.get(Person, user.person_id)
    assert (person.name, person.email, person.kind) == ("Brand New", "new@example.com", "person")


def test_never_a_second_person_for_the_same_name(app):
    assert create(app, "a@example.com", "Dana Scully").exit_code == 0
    result = create(app, "b@example.com", "dana scully")
    assert result.exit_code != 0
    assert "Dana Scully is already in the portal" in result.output
    assert people_named("Dana Scully") == 1
    assert login("b@example.com") is None


def test_a_person_with_another_address_is_not_taken(app):
    make_person("Fox Mulder", email="fox@fbi.example")
    db.session.commit()
    result = create(app, "mulder@example.com", "Fox Mulder")
    assert result.exit_code != 0
    assert "another address (fox@fbi.example)" in result.output
    assert login("mulder@example.com") is None
    assert people_named("Fox Mulder") == 1


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "x" * 300 + "@example.com"])
def test_a_bad_address_is_refused(app, email):
    result = create(app, email, "Some One")
    assert result.exit_code != 0 and "email" in result.output.lower()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_myself_is_the_importing_logins_person(app, tmp_path):
    from portal.actions.models import ActionItem
    from tests.factories import make_program

    make_program()
    db.session.commit()
    assert create(app, "lead@example.com", "Jason Vallery", role="lead").exit_code == 0
    note = tmp_path / "2026-11-30 Sync.md"
    note.write_text("# Sync\n\n- [ ] Book the room @Myself 📅 2026-12-11\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["import-notes", str(note), "--as", "lead@example.com"])
    assert result.exit_code == 0, result.output
    item = db.session.scalar(select(ActionItem).where(ActionItem.title == "Book the room"))
    assert item.owner_id == login("lead@example.com").person_id


def test_users_page_creates_and_relinks(app):
    admin = make_user("admin")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    ann = make_person("Ann Other", email=None)
    spare = make_person("Spare Person", email=None)
    db.session.commit()
    response = client.post("/admin/users", data={"email": "ann@example.com", "name": "Ann Other",
                                                 "role": "owner", "password": PASSWORD})
    assert response.status_code == 303
    user = login("ann@example.com")
    assert user.person_id == ann.id
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Ann Other</a>" in page and "Spare Person" in page
    # relink to a person without a login
    response = client.post("/admin/users/person", data={"user_id": user.id,
                                                        "person_id": spare.id})
    assert response.status_code == 303
    assert login("ann@example.com").person_id == spare.id
    # a person who has a login cannot be taken
    response = client.post("/admin/users/person", data={"user_id": user.id,
                                                        "person_id": admin.person_id},
                           follow_redirects=True)
    assert "already has a login" in response.get_data(as_text=True)
    assert login("ann@example.com").person_id == spare.id
    # nonsense ids: 4xx, nothing changed
    for data in ({"user_id": "x", "person_id": spare.id}, {"user_id": "9" * 25, "person_id": 1},
                 {}):
        assert client.post("/admin/users/person", data=data).status_code in (404, 422)
    assert login("ann@example.com").person_id == spare.id


@pytest.mark.committed
def test_the_data_migration(app):
    """0002's data step on rows as an older version left them: logins acting as nobody."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[2] / "migrations/versions/0002_logins_are_people.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    rob = make_person("Rob Banga", email="rob@example.com")
    zoe = make_person("Zoë Núñez", email=None)
    taken = make_person("Taken Person", email=None)
    db.session.commit()
    rows = [("rob@example.com", "Whoever"), ("zoe@example.com", "ZOE NUNEZ"),
            ("new@example.com", "New Comer"), ("t1@example.com", "Taken Person"),
            ("t2@example.com", "Taken Person")]
    with db.engine.begin() as conn:
        for n, (email, name) in enumerate(rows, 1):
            conn.execute(text(
                "INSERT INTO user_account (id, email, name, password_hash, role, active, "
                "must_change_password, session_version, created_at) VALUES "
                "(:id, :email, :name, 'x', 'owner', :t, :f, 1, CURRENT_TIMESTAMP)"),
                {"id": 100 + n, "email": email, "name": name, "t": True, "f": False})
        migration.link_logins_to_people(conn)
    linked = {u.email: u.person_id for u in db.session.scalars(select(User))}
    assert linked["rob@example.com"] == rob.id
    assert linked["zoe@example.com"] == zoe.id
    assert linked["t1@example.com"] == taken.id
    assert None not in linked.values()
    assert len(set(linked.values())) == len(linked)  # one person per login
    newcomer = db.session.get(Person, linked["new@example.com"])
    assert (newcomer.name, newcomer.email) == ("New Comer", "new@example.com")
    assert db.session.get(Person, zoe.id).email == "zoe@example.com"
