"""Backup and restore through one portable format: a SQLite file with the portal's schema.

From SQLite the copy is made with SQLite's online backup API; from PostgreSQL every table
is copied inside one repeatable-read transaction, so the copy is consistent either way.
A restore copies the rows into an empty, migrated database of either kind.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import MetaData, create_engine, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError

BATCH = 1000


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


def _tables(metadata: MetaData):
    """The tables a backup holds: not those derived from others (`info["derived_by"]`, the
    statement that fills one from its sources), which a restore fills again."""
    return [table for table in metadata.sorted_tables if "derived_by" not in table.info]


def backup(engine: Engine, metadata: MetaData, path: str | Path) -> dict[str, int]:
    """Writes a consistent copy of the database to `path`; returns rows per table."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file.")
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            target = sqlite3.connect(path)
            with target:
                raw.driver_connection.backup(target)
            target.close()
        finally:
            raw.close()
    else:
        _copy_to_sqlite(engine, metadata, path)
    return _row_counts(create_engine(f"sqlite:///{path}"), metadata)


def _copy_to_sqlite(engine: Engine, metadata: MetaData, path: Path) -> None:
    target = create_engine(f"sqlite:///{path}")
    metadata.create_all(target)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as source:
        with source.begin(), target.begin() as out:
            for table in _tables(metadata):
                rows = [dict(row) for row in source.execute(select(table)).mappings()]
                for start in range(0, len(rows), BATCH):
                    out.execute(insert(table), rows[start:start + BATCH])
            version = source.execute(text("SELECT version_num FROM alembic_version")).scalar()
            out.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL "
                             "PRIMARY KEY)"))
            out.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": version})
    target.dispose()


def _row_counts(engine: Engine, metadata: MetaData) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in _tables(metadata)}


def restore(engine: Engine, metadata: MetaData, path: str | Path) -> dict[str, int]:
    """Copies every row of the backup at `path` into this database, which must be migrated
    and empty. All or nothing: one transaction."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with open(path, "rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not a portal backup (not a SQLite file).")
    source = create_engine(f"sqlite:///{path}")
    try:
        try:
            with source.connect() as conn:
                present = set(source.dialect.get_table_names(conn))
        except DatabaseError as error:
            raise BackupError(f"{path} is not a portal backup (unreadable).") from error
        missing = {t.name for t in _tables(metadata)} - present
        if missing:
            raise BackupError(f"{path} is not a portal backup; missing tables: "
                              f"{', '.join(sorted(missing))}.")
        if any(_row_counts(engine, metadata).values()):
            raise BackupError("The target database is not empty; restore into an empty one.")
        with source.connect() as reader, engine.begin() as writer:
            for table in _tables(metadata):
                rows = [dict(row) for row in reader.execute(select(table)).mappings()]
                for start in range(0, len(rows), BATCH):
                    writer.execute(insert(table), rows[start:start + BATCH])
            for table in metadata.sorted_tables:
                if "derived_by" in table.info:  # what triggers wrote while copying, redone
                    writer.execute(table.delete())
                    writer.execute(text(table.info["derived_by"]))
            if engine.dialect.name == "postgresql":
                _reset_sequences(writer, metadata)
    finally:
        source.dispose()
    return _row_counts(engine, metadata)


def _reset_sequences(conn, metadata: MetaData) -> None:
    """After explicit ids, PostgreSQL's sequences must continue past the highest one."""
    for table in _tables(metadata):
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement and pk[0].type.python_type is int:
            highest = conn.execute(select(func.max(pk[0]))).scalar() or 0
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, :column), :next, false)"),
                {"table": table.name, "column": pk[0].name, "next": highest + 1},
            )
