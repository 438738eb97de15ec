"""The models and the migrations agree, on SQLite and on PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal.extensions import db

# Migrations build and drop the schema.
pytestmark = pytest.mark.committed


def _empty(app):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_upgrade_from_empty_then_models_match(app):
    _empty(app)
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"action_item", "person", "workstream", "outbox_message", "audit_event"} <= tables
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(app):
    _empty(app)
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "action_item" in inspect(db.engine).get_table_names()
    db.create_all()  # leave the schema as the other tests expect it
