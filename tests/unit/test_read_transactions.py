"""How a request's transaction ends (`portal.config.end_reads_with_commit`): a read ends with
COMMIT, so PostgreSQL keeps the statements psycopg prepared; a write the request did not
commit, unflushed changes and a failure still roll back, and nothing of them is kept."""
import pytest
from sqlalchemy import event, func, select, text

from portal.extensions import db
from portal.people.models import Person
from tests.factories import make_person

pytestmark = pytest.mark.committed


@pytest.fixture
def ends(app_factory):
    """The app, and how each of its transactions ended, in order."""
    app = app_factory()
    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "commit", lambda _conn: seen.append("commit"))
        event.listen(db.engine, "rollback", lambda _conn: seen.append("rollback"))
    return app, seen


def _people(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Person.id)))


def test_a_read_request_ends_with_commit(ends):
    app, seen = ends
    assert app.test_client().get("/healthz").status_code == 200
    assert seen == ["commit"]


@pytest.mark.parametrize("flush", [True, False], ids=["flushed", "unflushed"])
def test_an_uncommitted_change_is_rolled_back_not_committed(ends, flush):
    app, seen = ends
    with app.app_context():
        db.session.add(Person(name="Not kept", name_key="not kept"))
        if flush:
            db.session.flush()
    assert seen == (["rollback"] if flush else [])  # unflushed, no transaction began
    assert _people(app) == 0


def test_a_failed_request_is_rolled_back(ends):
    app, seen = ends
    with pytest.raises(RuntimeError), app.app_context():
        db.session.execute(text("SELECT 1"))
        raise RuntimeError("the view failed")
    assert seen == ["rollback"]


def test_a_committed_write_then_a_read_is_kept_and_ends_with_commit(ends):
    app, seen = ends
    with app.app_context():
        make_person("Kept")
        db.session.commit()
        db.session.execute(text("SELECT 1"))
    assert seen == ["commit", "commit"]
    assert _people(app) == 1


@pytest.mark.postgres_only
def test_prepared_statements_outlive_the_requests(ends):
    """psycopg prepares a statement run five times on a connection and forgets them all on
    a ROLLBACK: after six reads, the health check's statement is still prepared."""
    app, _seen = ends
    client = app.test_client()
    for _ in range(6):
        assert client.get("/healthz").status_code == 200
    with app.app_context():
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert "SELECT 1" in prepared


def test_a_failed_commit_of_a_read_still_answers_and_releases_the_session(ends):
    """The database going away between the answer and its COMMIT: the answer was sent, the
    session is rolled back and removed as usual, and nothing is raised."""
    from sqlalchemy.exc import OperationalError

    app, seen = ends

    def fail(_session):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    event.listen(db.session, "before_commit", fail)
    try:
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        event.remove(db.session, "before_commit", fail)
    assert seen == ["rollback"]
    with app.app_context():
        assert not db.session.registry.has() or not db.session().in_transaction()


def test_what_a_read_loaded_keeps_its_values_after_the_context(ends):
    """Committing a read expires nothing: an object still in use after its context (a
    command's, a test's) reads as it did, as after a rollback."""
    app, seen = ends
    with app.app_context():
        make_person("Kept")
        db.session.commit()
    with app.app_context():
        person = db.session.scalar(select(Person))
    assert seen[-1] == "commit" and person.name == "Kept"
