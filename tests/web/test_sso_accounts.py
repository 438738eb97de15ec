"""Who signs in through the provider, as which login and with which role: a login is the
provider's issuer and subject from the first sign-in on; the first sign-in links the login
or the person with that email, or makes both; the role follows the groups at each sign-in;
a deactivated login stays out; only allowed domains come in."""
import pytest
from sqlalchemy import func, insert, select

from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.auth import users
from portal.auth.models import SecurityEvent, User
from portal.clock import utcnow
from portal.extensions import db
from portal.people.models import Person
from tests.factories import make_person, make_program, make_user
from tests.sso import sign_in_with, sso_settings


def _user() -> User:
    db.session.expire_all()
    return db.session.scalar(select(User))


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _kinds() -> list[str]:
    return list(db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))


def test_first_sign_in_links_to_the_person_with_that_email(sso_app, provider):
    person = make_person("Lena Lindqvist", email="lena.lead@example.com")
    db.session.commit()
    assert sign_in_with(sso_app.test_client(), provider).status_code == 303
    user = _user()
    assert user.person_id == person.id
    assert _count(Person) == 1
    assert user.name == "Lena Lead" and user.role == "lead"


def test_first_sign_in_makes_a_person_when_there_is_none(sso_app, provider):
    assert sign_in_with(sso_app.test_client(), provider).status_code == 303
    person = db.session.scalar(select(Person))
    assert (person.name, person.email) == ("Lena Lead", "lena.lead@example.com")
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"create"} <= actions
    assert set(db.session.scalars(select(AuditEvent.via))) == {"sso"}


def test_first_sign_in_links_an_existing_password_login(sso_app, provider):
    existing = make_user("owner", email="Lena.Lead@example.com")
    assert sign_in_with(sso_app.test_client(), provider).status_code == 303
    user = _user()
    assert user.id == existing.id and _count(User) == 1
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "u-1001")
    assert user.role == "lead"  # the groups decide from now on
    link = db.session.scalar(select(SecurityEvent).where(SecurityEvent.kind == "account_linked"))
    assert "the login with this email" in link.detail and "u-1001" in link.detail


def test_a_login_linked_to_another_account_is_not_taken_over(sso_app, provider):
    sign_in_with(sso_app.test_client(), provider)
    provider.person.sub = "u-9999"  # someone else at the provider now has the address
    response = sign_in_with(sso_app.test_client(), provider)
    assert response.status_code == 403
    assert "belongs to another account" in response.get_data(as_text=True)
    assert _user().oidc_subject == "u-1001"


def test_an_email_change_at_the_provider_keeps_the_login(sso_app, provider):
    sign_in_with(sso_app.test_client(), provider)
    first = _user()
    provider.person.email = "lena.lindqvist@example.com"
    assert sign_in_with(sso_app.test_client(), provider).status_code == 303
    user = _user()
    assert user.id == first.id and _count(User) == 1 and _count(Person) == 1
    assert user.email == "lena.lindqvist@example.com"
    assert user.person.email == "lena.lindqvist@example.com"
    change = db.session.scalar(select(AuditEvent).where(AuditEvent.summary.like("Email of%")))
    assert change.before == {"email": "lena.lead@example.com"}


def test_an_email_change_to_an_address_another_login_has_keeps_the_old_one(sso_app, provider):
    sign_in_with(sso_app.test_client(), provider)
    other = make_user("owner", email="taken@example.com")
    provider.person.email = "taken@example.com"
    assert sign_in_with(sso_app.test_client(), provider).status_code == 303
    me = db.session.scalar(select(User).where(User.oidc_subject == "u-1001"))
    assert me.email == "lena.lead@example.com" and me.id != other.id
    last = db.session.scalar(select(SecurityEvent).order_by(SecurityEvent.id.desc()))
    assert "belongs to another login" in last.detail


def test_a_deactivated_login_is_refused_though_the_provider_says_yes(sso_app, provider):
    sign_in_with(sso_app.test_client(), provider)
    me = db.session.scalar(select(User).where(User.oidc_subject == "u-1001"))
    admin = make_user("admin")
    users.update_user(db.session, Actor.for_user(admin), me, role="lead", active=False)
    db.session.commit()
    client = sso_app.test_client()
    response = sign_in_with(client, provider)
    assert response.status_code == 403
    assert "Your portal login is deactivated" in response.get_data(as_text=True)
    assert _kinds()[-1] == "sign_in_refused"
    assert client.get("/").status_code == 302


def test_a_deactivated_password_login_is_not_linked_either(sso_app, provider):
    make_user("lead", email="lena.lead@example.com").active = False
    db.session.commit()
    response = sign_in_with(sso_app.test_client(), provider)
    assert response.status_code == 403
    assert _user().oidc_subject is None


def test_the_role_follows_the_groups_at_each_sign_in(sso_app, provider):
    sign_in_with(sso_app.test_client(), provider)
    assert _user().role == "lead"
    provider.person.groups = ["launch-leads", "portal-admins"]  # the highest wins
    client = sso_app.test_client()
    sign_in_with(client, provider)
    assert _user().role == "admin"
    assert client.get("/admin/users").status_code == 200
    change = db.session.scalar(select(AuditEvent).where(AuditEvent.summary.like("Role of%")))
    assert change.before == {"role": "lead"} and change.after == {"role": "admin"}
    provider.person.groups = ["program-owners"]
    client = sso_app.test_client()
    sign_in_with(client, provider)
    assert _user().role == "owner"
    assert client.get("/admin/users").status_code == 403


def test_someone_in_no_mapped_group_is_refused_without_a_default_role(sso_app, provider):
    provider.person.groups = ["contractors"]
    response = sign_in_with(sso_app.test_client(), provider)
    assert response.status_code == 403
    assert "in none of the groups that give a role" in response.get_data(as_text=True)
    event = db.session.scalar(select(SecurityEvent))
    assert event.detail == "no role for the groups contractors"
    assert _count(User) == 0 and _count(Person) == 0


def test_a_default_role_lets_people_in_no_mapped_group_in(app_factory, provider):
    app = app_factory(**sso_settings(provider.issuer, OIDC_DEFAULT_ROLE="executive"))
    provider.person.groups = []
    with app.app_context():
        client = app.test_client()
        response = sign_in_with(client, provider)
        assert response.location == "/summary"  # an executive's home
        assert _user().role == "executive"


def test_without_a_role_map_a_known_login_keeps_its_role(app_factory, provider):
    app = app_factory(**sso_settings(provider.issuer, OIDC_ROLE_MAP="",
                                     OIDC_DEFAULT_ROLE="owner"))
    with app.app_context():
        make_user("admin", email="lena.lead@example.com")
        sign_in_with(app.test_client(), provider)
        assert _user().role == "admin"
        provider.person.sub, provider.person.email = "u-2002", "new.person@example.com"
        sign_in_with(app.test_client(), provider)
        newcomer = db.session.scalar(select(User).where(User.oidc_subject == "u-2002"))
        assert newcomer.role == "owner"


def test_an_address_outside_the_allowed_domains_is_refused(sso_app, provider):
    provider.person.email = "lena@gmail.com"
    response = sign_in_with(sso_app.test_client(), provider)
    assert response.status_code == 403
    assert "Only addresses at example.com may sign in" in response.get_data(as_text=True)
    event = db.session.scalar(select(SecurityEvent))
    assert (event.kind, event.email) == ("sign_in_refused", "lena@gmail.com")
    assert _count(User) == 0


def test_next_is_kept_when_it_is_on_this_site(sso_app, provider):
    response = sign_in_with(sso_app.test_client(), provider, next_url="/actions?status=open")
    assert response.location == "/actions?status=open"
    response = sign_in_with(sso_app.test_client(), provider, next_url="//evil.example/x")
    assert response.location == "/"


def test_a_temporary_password_stops_working_after_single_sign_on(sso_app, provider):
    make_program()  # a lead without one would be sent to set it up
    existing = make_user("lead", email="lena.lead@example.com", must_change_password=True)
    client = sso_app.test_client()
    sign_in_with(client, provider)
    assert client.get("/").status_code == 200  # not sent to change a password first
    user = _user()
    assert user.id == existing.id and not user.must_change_password
    assert client.post("/logout").status_code == 303
    assert client.post("/login", data={"email": "lena.lead@example.com",
                                       "password": "correct-horse-battery"}).status_code == 401


def test_a_name_match_with_another_address_is_refused_with_the_reason(sso_app, provider):
    make_person("Lena Lead", email="lena.private@example.org")
    db.session.commit()
    response = sign_in_with(sso_app.test_client(), provider)
    assert response.status_code == 403
    assert "could not make a login for you" in response.get_data(as_text=True)
    assert _count(User) == 0 and _count(Person) == 1


@pytest.mark.committed
@pytest.mark.postgres_only  # SQLite runs one writer at a time: no race to lose
def test_two_first_sign_ins_at_once_end_in_one_login(sso_app, provider, monkeypatch):
    make_program()
    db.session.commit()
    real = users.person_for_login

    def the_other_sign_in_commits_first(session, actor, *, email, name):
        with db.engine.begin() as other:  # another connection: the same person's other tab
            other.execute(insert(User).values(
                email=email, name=name, password_hash="-", role="lead", active=True,
                must_change_password=False, session_version=1, created_at=utcnow(),
                oidc_issuer=provider.issuer, oidc_subject=provider.person.sub))
        monkeypatch.setattr(users, "person_for_login", real)
        return real(session, actor, email=email, name=name)

    monkeypatch.setattr(users, "person_for_login", the_other_sign_in_commits_first)
    client = sso_app.test_client()
    response = sign_in_with(client, provider)
    assert response.status_code == 303
    assert _count(User) == 1
    assert client.get("/").status_code == 200
