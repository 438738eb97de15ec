"""Login, logout, sessions and the admin's user pages."""

from portal.auth.models import User
from portal.extensions import db
from tests.factories import PASSWORD, make_program, make_user


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data and b'name="password"' in response.data


def test_login_success_lands_on_dashboard(client, auth, app):
    make_program()
    user = make_user("lead")
    response = auth.login(user.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_executive_lands_on_summary(client, auth):
    user = make_user("executive")
    assert auth.login(user.email).headers["Location"] == "/summary"


def test_wrong_password_is_refused(client, auth):
    user = make_user("lead")
    response = auth.login(user.email, "not-the-password")
    assert response.status_code == 401
    assert b"do not match an active account" in response.data
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_answer(client, auth):
    response = auth.login("nobody@example.com", "whatever-it-is")
    assert response.status_code == 401
    assert b"do not match an active account" in response.data


def test_empty_form_is_422_with_field_errors(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert b'aria-invalid="true"' in response.data


def test_deactivated_user_cannot_log_in(client, auth):
    user = make_user("lead")
    user.active = False
    db.session.commit()
    assert auth.login(user.email).status_code == 401


def test_session_is_renewed_at_login(client, auth):
    user = make_user("lead")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login(user.email)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == f"{user.id}:{user.session_version}"


def test_next_parameter_is_followed_only_on_site(client):
    user = make_user("lead")
    ok = client.post("/login?next=/summary", data={"email": user.email, "password": PASSWORD})
    assert ok.headers["Location"] == "/summary"
    client.post("/logout")
    evil = client.post("/login?next=//evil.example/x",
                       data={"email": user.email, "password": PASSWORD})
    assert evil.headers["Location"] == "/"


def test_logout_is_post_only(client, auth):
    user = make_user("lead")
    auth.login(user.email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 302


def test_deactivation_ends_an_open_session_at_once(client, auth, app):
    user = make_user("owner")
    auth.login(user.email)
    assert client.get("/").status_code == 200
    admin = make_user("admin")
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    response = admin_client.post(f"/admin/users/{user.id}", data={"role": "owner"})
    assert response.status_code == 303
    assert db.session.get(User, user.id).active is False
    assert client.get("/").status_code == 302


def test_admin_creates_user_who_must_change_password(client, auth):
    admin = make_user("admin")
    auth.login(admin.email)
    response = client.post("/admin/users", data={
        "email": "new.person@example.com", "name": "New Person", "role": "owner",
        "password": "a-long-initial-secret",
    })
    assert response.status_code == 303
    created = db.session.query(User).filter_by(email="new.person@example.com").one()
    assert created.must_change_password and created.role == "owner"
    client.post("/logout")
    first = auth.login("new.person@example.com", "a-long-initial-secret")
    assert first.headers["Location"] == "/account/password"


def test_admin_create_rejects_weak_password_and_duplicates(client, auth):
    admin = make_user("admin")
    auth.login(admin.email)
    weak = client.post("/admin/users", data={
        "email": "x@example.com", "name": "X", "role": "owner", "password": "short"})
    assert weak.status_code == 422 and b"at least 12 characters" in weak.data
    common = client.post("/admin/users", data={
        "email": "x@example.com", "name": "X", "role": "owner", "password": "password1234"})
    assert common.status_code == 422 and b"Too easy to guess" in common.data
    dup = client.post("/admin/users", data={
        "email": admin.email, "name": "X", "role": "owner", "password": "a-long-initial-secret"})
    assert dup.status_code == 422 and b"already exists" in dup.data
    assert db.session.query(User).count() == 1


def test_admin_reset_forces_change_and_ends_sessions(client, auth, app):
    admin = make_user("admin")
    owner = make_user("owner")
    owner_client = app.test_client()
    owner_client.post("/login", data={"email": owner.email, "password": PASSWORD})
    auth.login(admin.email)
    client.post(f"/admin/users/{owner.id}/password", data={"password": "brand-new-secret-1"})
    db.session.expire_all()
    assert db.session.get(User, owner.id).must_change_password
    assert owner_client.get("/").status_code == 302


def test_change_password(client, auth):
    make_program()
    user = make_user("lead")
    auth.login(user.email)
    wrong = client.post("/account/password",
                        data={"current_password": "nope", "password": "another-good-secret"})
    assert wrong.status_code == 422
    ok = client.post("/account/password",
                     data={"current_password": PASSWORD, "password": "another-good-secret"})
    assert ok.status_code == 303
    assert client.get("/").status_code == 200  # this session goes on
    client.post("/logout")
    assert auth.login(user.email, "another-good-secret").status_code == 303


def test_cookies_are_httponly_and_lax(client, auth):
    user = make_user("lead")
    response = auth.login(user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_when_base_url_is_https(app_factory, monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.com")
    app = app_factory()
    with app.app_context():
        email = make_user("lead").email
    response = app.test_client().post("/login", data={"email": email, "password": PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]
