"""`flask import-notes FILE... [--dry-run] [--as EMAIL]` through the CLI runner."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.notes.models import Meeting
from tests.factories import make_program, make_user, make_workstream
from tests.unit.test_notes_import import SAMPLE, WORKSTREAMS, edited_sample

BAD_INPUTS = [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary"),
    (b"# Note\n" + b"x" * (2 * 1024 * 1024), "too large"),
    (b"---\ntitle: No tasks\n---\n## Summary\nJust talk.\n", "no task lines"),
    (b"---\ntitle: [broken\n---\n- [ ] A task @Joe\n", "front matter"),
    (b"---\ntitle: never closed\n- [ ] A task @Joe\n", "never closed"),
]


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def lead(app):
    user = make_user("lead", email="lead@example.com")
    user.person.name, user.person.name_key = "Jason Vallery", "jason vallery"
    program = make_program()
    for position, (name, keywords) in enumerate(WORKSTREAMS, 1):
        make_workstream(program, name=name, keywords=keywords, position=position)
    db.session.commit()
    return user


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["import-notes", *map(str, args)])


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_import_prints_the_report_and_writes(cli, lead):
    result = cli(SAMPLE, "--as", "lead@example.com")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"{SAMPLE.name}: Cloud support operating model alignment (2025-10-30)")
    for text in ("created: 17 action items", "updated: 0 action items",
                 "repaired: 37 damaged character sequences", "warnings: none",
                 "Matched to Timo Pervane", "line 34: Schedule an offline working session"):
        assert text in out
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ActionItem)) == 17
    owners = {i.source_line: i.owner.name for i in db.session.scalars(select(ActionItem))}
    assert owners[34] == "Jason Vallery"


def test_reimport_reports_nothing_new(cli, lead):
    assert cli(SAMPLE, "--as", "lead@example.com").exit_code == 0
    before = counts()
    result = cli(SAMPLE, "--as", "lead@example.com")
    assert result.exit_code == 0
    assert "created: 0 action items" in result.output
    assert "unchanged: 17 action items" in result.output
    assert counts() == before


def test_dry_run_writes_nothing(cli, lead, tmp_path):
    before = counts()
    result = cli(SAMPLE, "--dry-run", "--as", "lead@example.com")
    assert result.exit_code == 0, result.output
    assert "created: 17 action items" in result.output
    assert "meeting would be created" in result.output
    assert result.output.rstrip().endswith("Dry run: nothing was written.")
    assert counts() == before


def test_dry_run_of_an_edited_note_shows_the_updates(cli, lead, tmp_path):
    assert cli(SAMPLE, "--as", "lead@example.com").exit_code == 0
    before = counts()
    edited = write(tmp_path, "edited.md", edited_sample())
    result = cli(edited, "--dry-run", "--as", "lead@example.com")
    assert result.exit_code == 0, result.output
    assert "created: 1 action item" in result.output
    assert "updated: 2 action items" in result.output
    assert "due 2025-10-31 -> 2025-11-04" in result.output
    assert "status proposed -> done" in result.output
    assert counts() == before


def test_several_files_in_one_transaction(cli, lead, tmp_path):
    edited = write(tmp_path, "edited.md", edited_sample())
    result = cli(SAMPLE, edited, "--as", "lead@example.com")
    assert result.exit_code == 0, result.output
    assert result.output.count("created: 17 action items") == 1
    assert "updated: 2 action items" in result.output
    assert counts()["action_item"] == 18


@pytest.mark.parametrize("data,phrase", BAD_INPUTS, ids=[p for _, p in BAD_INPUTS])
def test_bad_input_exits_non_zero_and_writes_nothing(cli, lead, tmp_path, data, phrase):
    bad = write(tmp_path, "bad.md", data)
    before = counts()
    result = cli(SAMPLE, bad, "--as", "lead@example.com")  # the good file is not imported
    assert result.exit_code != 0
    assert f"{bad}: " in result.output
    assert phrase in result.output.lower()
    assert "Nothing was imported." in result.output
    assert counts() == before


def test_missing_file_and_unknown_login(cli, lead, tmp_path):
    result = cli(tmp_path / "missing.md")
    assert result.exit_code != 0 and "missing.md" in result.output
    result = cli(SAMPLE, "--as", "nobody@example.com")
    assert result.exit_code != 0 and "There is no login nobody@example.com" in result.output
    assert counts()["meeting"] == 0


def test_impossible_date_is_a_warning(cli, lead, tmp_path):
    note = write(tmp_path, "n.md",
                 "---\ntitle: T\ndate: 2025-11-01\n---\n- [ ] Book it @Joe 📅 2025-13-45\n"
                 .encode())
    result = cli(note)
    assert result.exit_code == 0, result.output
    assert "warnings: 1" in result.output
    assert "line 5: The due date 2025-13-45 is not a real date" in result.output
    db.session.expire_all()
    [item] = db.session.scalars(select(ActionItem)).all()
    assert item.due_date is None and item.title == "Book it"


def test_without_as_myself_has_no_owner(cli, lead):
    result = cli(SAMPLE)
    assert result.exit_code == 0
    assert "@Myself (line 34): @Myself stands for the importing user" in result.output
    db.session.expire_all()
    meeting = db.session.scalar(select(Meeting))
    assert meeting.imported_by_id is None and meeting.date == date(2025, 10, 30)
