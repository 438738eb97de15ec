"""`flask import-notes FILE... [--dry-run] [--as EMAIL]`: the importer on the command line."""
from __future__ import annotations

from pathlib import Path

import click

from portal.audit.log import Actor
from portal.extensions import db


@click.command("import-notes")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--as", "as_email", metavar="EMAIL",
              help="Import as this login: its person is @Myself, and it is the audit actor.")
def import_notes_command(files: tuple[Path, ...], dry_run: bool, as_email: str | None) -> None:
    """Import meeting notes (Obsidian Tasks Markdown) and print what changed.

    All files are read first: a file that cannot be imported stops the command before
    anything is written. They are then applied in order in one transaction, so a later
    note sees the people and items of an earlier one; --dry-run rolls it all back.
    """
    from portal.auth import users
    from portal.notes.apply import apply, build_plan, check_importable, report_lines
    from portal.notes.parse import NoteError, parse_note
    from portal.program.setup import current

    session = db.session
    if current(session) is None:
        raise click.ClickException(
            "There is no program to import into yet; nothing was imported. Set it up first "
            "with `flask program create --name NAME --target-date YYYY-MM-DD` (or on the "
            "portal's setup page), then import again.")
    user = None
    if as_email:
        user = users.find_by_email(session, as_email)
        if user is None:
            raise click.ClickException(f"There is no login {as_email}; check --as.")
    actor = Actor.for_user(user, via="cli") if user else Actor(via="cli", name="import-notes")
    myself_id = user.person_id if user else None

    notes = []
    problems = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(f"{path}: cannot be read ({error.strerror or error}).")
            continue
        try:
            note = parse_note(data)
            check_importable(note)
        except NoteError as error:
            problems.append(f"{path}: {error}")
            continue
        notes.append((path, note))
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException("Nothing was imported.")

    try:
        for path, note in notes:
            plan = build_plan(session, note, myself_id=myself_id, source_name=path.name)
            for line in report_lines(plan, dry_run=dry_run):
                click.echo(line)
            apply(session, plan, actor)
        if dry_run:
            session.rollback()
            click.echo("Dry run: nothing was written.")
        else:
            session.commit()
    except NoteError as error:
        session.rollback()
        raise click.ClickException(f"{error} Nothing was imported.") from None
    except Exception:
        session.rollback()
        raise
