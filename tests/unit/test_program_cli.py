"""`flask program create` and `flask program show`; `flask import-notes` without a program."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.program.models import Program
from portal.workstreams import service
from tests.factories import make_person, make_program, make_workstream
from tests.unit.test_notes_import import SAMPLE
from tests.unit.test_notes_import_cli import counts

FUTURE = (date.today() + timedelta(days=200)).isoformat()


@pytest.fixture
def flask(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[*args])


def test_create_then_show(app, flask):
    created = flask("program", "create", "--name", "Cloud Launch", "--target-date", FUTURE,
                    "--timezone", "Europe/Berlin", "--description", "Support for GA.")
    assert created.exit_code == 0, created.output
    assert f"Created the program 'Cloud Launch', ready by {FUTURE} (Europe/Berlin)." \
        in created.output
    program = db.session.scalar(select(Program))
    assert (program.name, program.timezone, program.description) == (
        "Cloud Launch", "Europe/Berlin", "Support for GA.")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "program"))
    assert event.via == "cli" and event.action == "create"
    lena = make_person("Lena Lead")
    make_workstream(program, name="Tooling", lead_id=lena.id, keywords="ticketing")
    service.archive_workstream(db.session, Actor(via="cli"),
                               make_workstream(program, name="Staffing", gating=False))
    db.session.commit()
    shown = flask("program", "show")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "Cloud Launch" and "time zone  Europe/Berlin" in shown.output
    assert ("health     late after 2 days of grace; amber from 10 % of a workstream's open "
            "items late") in shown.output
    assert "Tooling  [gating; lead: Lena Lead; keywords: ticketing]" in shown.output
    assert "Archived workstreams:" in shown.output and "Staffing  (archived" in shown.output
    assert "Milestones:\n  none yet" in shown.output


def test_the_timezone_defaults_to_the_setting(app, flask):
    app.config["PORTAL_TIMEZONE"] = "Asia/Kolkata"
    assert flask("program", "create", "--name", "P", "--target-date", FUTURE).exit_code == 0
    assert db.session.scalar(select(Program.timezone)) == "Asia/Kolkata"


def test_a_second_program_is_refused(app, flask):
    make_program(name="The one", target_date=date(2027, 1, 31))
    db.session.commit()
    refused = flask("program", "create", "--name", "Second", "--target-date", FUTURE)
    assert refused.exit_code == 1
    assert "There is a program already: 'The one', ready by 2027-01-31" in refused.output
    assert "http://portal.test/program" in refused.output
    assert db.session.scalar(select(func.count()).select_from(Program)) == 1


@pytest.mark.parametrize("args,words", [
    (["--target-date", "31/03/2027"], "is not a date; use YYYY-MM-DD"),
    (["--target-date", "2027-02-30"], "2027-02-30 is not a date that exists"),
    (["--target-date", "20270331"], "is not a date; use YYYY-MM-DD"),
    (["--target-date", "2001-01-01"], "That date has passed"),
    (["--target-date", FUTURE, "--timezone", "Europe/Atlantis"], "is not a time zone"),
    (["--target-date", FUTURE, "--description", "x" * 2001], "2000 characters"),
])
def test_bad_values_are_refused_clearly(app, flask, args, words):
    before = counts()
    result = flask("program", "create", "--name", "P", *args)
    assert result.exit_code != 0 and words in result.output, result.output
    assert counts() == before


def test_show_without_a_program(app, flask):
    result = flask("program", "show")
    assert result.exit_code == 1
    assert "flask program create --name NAME --target-date YYYY-MM-DD" in result.output
    assert "http://portal.test/setup" in result.output


def test_import_notes_without_a_program_names_the_command_and_writes_nothing(app, flask):
    before = counts()
    for args in ([str(SAMPLE)], [str(SAMPLE), "--dry-run"]):
        result = flask("import-notes", *args)
        assert result.exit_code == 1
        assert "flask program create" in result.output and "nothing was imported" \
            in result.output
    assert counts() == before
