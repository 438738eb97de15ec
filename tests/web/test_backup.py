"""flask backup / flask restore round-trip the demo program, table by table."""
import pytest
from sqlalchemy import select, text

from portal.actions import tally
from portal.extensions import db

# The backup reads the committed database through connections of its own.
pytestmark = pytest.mark.committed


def _dump():
    """Every table's rows; a derived table's (the item tally) by what they sum to, which is
    what a restore must give back, not the rows the triggers happened to write."""
    tables = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(select(table)).mappings().all()
            tables[table.name] = sorted((dict(r) for r in rows), key=repr)
        tables["item_tally"] = {(ws, status): n for ws, status, n
                                in conn.execute(tally.by_workstream_status()) if n}
    return tables


def _empty_every_table():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def stamped(app):
    """The tables come from create_all here; stamp them as migrated, like `flask db upgrade`."""
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                          "(version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    yield
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))


def test_round_trip_of_the_demo(app, demo, stamped, tmp_path):
    db.session.commit()
    before = _dump()
    assert sum(len(rows) for rows in before.values()) > 20
    runner = app.test_cli_runner()
    path = tmp_path / "portal-backup.sqlite"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output

    db.session.remove()
    _empty_every_table()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert _dump() == before

    # New rows get fresh ids after a restore (PostgreSQL sequences were moved on).
    from tests.factories import make_person
    person = make_person("After Restore")
    db.session.commit()
    assert person.id > max(row["id"] for row in before["person"])


def test_restore_refuses_a_non_empty_database(app, demo, stamped, tmp_path):
    db.session.commit()
    path = tmp_path / "b.sqlite"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    before = _dump()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code != 0 and "not empty" in result.output
    assert _dump() == before


def test_restore_refuses_garbage_and_missing_files(app, tmp_path):
    garbage = tmp_path / "notes.txt"
    garbage.write_text("hello")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["restore", str(garbage)])
    assert result.exit_code != 0 and "not a portal backup" in result.output
    fake = tmp_path / "fake.sqlite"
    fake.write_bytes(b"SQLite format 3\x00" + b"\x01" * 200)
    result = runner.invoke(args=["restore", str(fake)])
    assert result.exit_code != 0 and "not a portal backup" in result.output
    result = runner.invoke(args=["restore", str(tmp_path / "missing.sqlite")])
    assert result.exit_code != 0 and "is not a file" in result.output


def test_backup_never_overwrites(app, tmp_path):
    path = tmp_path / "exists.sqlite"
    path.write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert path.read_text() == "keep me"
