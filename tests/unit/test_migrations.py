"""The models and the migrations agree, on SQLite and on PostgreSQL."""
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from portal.actions.search_index import include_name
from portal.extensions import db

# Migrations build and drop the schema.
pytestmark = pytest.mark.committed


def _empty(app):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def insert_raw_item(conn, title: str, status: str = "open", tags: str = "",
                    workstream_id: int | None = None) -> None:
    """An action item written as SQL, the columns every revision since 0008 requires: for
    tests that fill a database migrated to an earlier revision."""
    conn.execute(text(
        "INSERT INTO action_item (title, title_key, workstream_id, status, priority, tags, "
        "notes, version, created_at, updated_at) VALUES (:title, :title, :ws, :status, "
        "'normal', :tags, '', 1, '2025-01-01 00:00:00', '2025-01-01 00:00:00')"),
        {"title": title, "ws": workstream_id, "status": status, "tags": tags})


def test_upgrade_from_empty_then_models_match(app):
    _empty(app)
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"action_item", "person", "workstream", "outbox_message", "audit_event"} <= tables
    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect an index on an expression (the list's due order), so such
        # indexes are compared on PostgreSQL only, and looked up by name below.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        # As migrations/env.py configures autogenerate: the search index is not compared.
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True,
                        "include_name": include_name})
        differences = compare_metadata(context, db.metadata)
        indexes = {name for (name,) in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'index'"
            if db.engine.dialect.name == "sqlite" else "SELECT indexname FROM pg_indexes"))}
    assert differences == []
    assert {"ix_action_item_due_order", "ix_action_item_status_due_order"} <= indexes


def test_downgrade_to_base_and_up_again(app):
    _empty(app)
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "action_item" in inspect(db.engine).get_table_names()
    db.create_all()  # leave the schema as the other tests expect it


def test_single_sign_on_migration_allows_the_new_kinds_and_whole_identities(app):
    """0005: the security log takes the single sign-on kinds and still nothing else; a
    login has both an issuer and a subject, or neither."""
    _empty(app)
    upgrade()
    insert_event = text("INSERT INTO security_event (created_at, kind, detail) "
                        "VALUES (CURRENT_TIMESTAMP, :kind, '')")
    insert_user = text(
        "INSERT INTO user_account (email, name, password_hash, role, active, "
        "must_change_password, session_version, created_at, oidc_issuer, oidc_subject) "
        "VALUES (:email, 'A', 'x', 'owner', true, false, 1, CURRENT_TIMESTAMP, :iss, :sub)")
    with db.engine.begin() as conn:
        for kind in ("account_linked", "sign_in_refused", "provider_error", "sign_in"):
            conn.execute(insert_event, {"kind": kind})
        conn.execute(insert_user, {"email": "a@example.com", "iss": "https://i", "sub": "1"})
    for statement, values in [
        (insert_event, {"kind": "made_up"}),
        (insert_user, {"email": "b@example.com", "iss": "https://i", "sub": None}),
        (insert_user, {"email": "c@example.com", "iss": "https://i", "sub": "1"}),
    ]:
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(statement, values)
    downgrade(revision="0004")
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM security_event")).scalar() == 1
    _empty(app)
    db.create_all()  # leave the schema as the other tests expect it


def test_health_rule_migration_gives_existing_programs_the_defaults(app):
    """0008: a program from before gets 2 days of grace and 10 %; the bounds hold; the
    downgrade drops both columns."""
    _empty(app)
    upgrade(revision="0007")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO program (name, target_date, description, timezone, "
                          "version, created_at) VALUES ('Old', '2026-06-30', '', 'UTC', 1, "
                          "'2025-01-01 00:00:00')"))
    upgrade()
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT health_grace_days, health_min_share FROM program")).one()
    assert tuple(row) == (2, 10)
    for statement in ("UPDATE program SET health_grace_days = 31",
                      "UPDATE program SET health_min_share = -1"):
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(statement))
    downgrade(revision="0007")
    columns = {c["name"] for c in inspect(db.engine).get_columns("program")}
    assert "health_grace_days" not in columns and "health_min_share" not in columns
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM program")).scalar() == "Old"
    _empty(app)
    db.create_all()  # leave the schema as the other tests expect it
