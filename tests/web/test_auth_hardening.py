"""Login throttling, forced password change and the idle timeout."""
import time

from portal.audit.models import AuditEvent
from portal.auth.models import SecurityEvent
from portal.extensions import db
from tests.factories import PASSWORD, make_program, make_user


def _throttled_app(app_factory, **limits):
    return app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", **limits)


def test_ten_failures_lock_the_account_with_429(app_factory):
    app = _throttled_app(app_factory, LOGIN_ACCOUNT_LIMIT="10 per 15 minutes")
    with app.app_context():
        email = make_user("lead").email
        client = app.test_client()
        for _ in range(10):
            assert client.post("/login", data={"email": email, "password": "wrong-one"}) \
                .status_code == 401
        locked = client.post("/login", data={"email": email, "password": PASSWORD})
        assert locked.status_code == 429
        assert b"Too many failed sign-in attempts" in locked.data
        # Another account from the same address is not locked by this one.
        other = make_user("owner").email
        assert client.post("/login", data={"email": other, "password": PASSWORD}) \
            .status_code == 303
        kinds = [e.kind for e in db.session.query(SecurityEvent).order_by(SecurityEvent.id)]
        assert kinds.count("sign_in_failed") == 10
        assert "sign_in_throttled" in kinds
        activity = {e.action for e in db.session.query(AuditEvent)}
        assert activity == {"create"}  # the logins' creation; sign-ins are not activity


def test_successful_logins_do_not_count(app_factory):
    app = _throttled_app(app_factory, LOGIN_ACCOUNT_LIMIT="3 per 15 minutes")
    with app.app_context():
        email = make_user("lead").email
        for _ in range(5):
            client = app.test_client()
            assert client.post("/login", data={"email": email, "password": PASSWORD}) \
                .status_code == 303


def test_per_address_limit(app_factory):
    app = _throttled_app(app_factory, LOGIN_ADDRESS_LIMIT="5 per 15 minutes")
    with app.app_context():
        client = app.test_client()
        for n in range(5):
            client.post("/login", data={"email": f"x{n}@example.com", "password": "nope-nope"})
        response = client.post("/login", data={"email": "y@example.com", "password": "nope"})
        assert response.status_code == 429


def test_must_change_password_is_enforced_on_every_page(client, auth):
    user = make_user("lead", must_change_password=True)
    auth.login(user.email)
    response = client.get("/summary")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/account/password").status_code == 200
    client.post("/account/password",
                data={"current_password": PASSWORD, "password": "my-own-new-secret"})
    assert client.get("/summary").status_code == 200


def test_idle_session_ends(client, auth, app):
    make_program()
    user = make_user("lead")
    auth.login(user.email)
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        sess["seen"] = int(time.time()) - int(app.config["SESSION_IDLE_HOURS"] * 3600) - 5
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


def test_active_session_is_kept(client, auth, app):
    make_program()
    user = make_user("lead")
    auth.login(user.email)
    with client.session_transaction() as sess:
        sess["seen"] = int(time.time()) - 3600
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        assert int(time.time()) - sess["seen"] < 5


def test_sign_ins_go_to_the_security_log(client, auth):
    user = make_user("lead")
    auth.login(user.email)
    event = db.session.query(SecurityEvent).filter_by(kind="sign_in").one()
    assert (event.user_id, event.email) == (user.id, user.email)
