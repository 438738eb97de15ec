"""The flask commands of no single area, and the registration of every command. Each is a
thin shell over a domain function."""
from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.actions.commands import actions_cli
from portal.audit.log import Actor
from portal.clock import utcnow
from portal.extensions import db
from portal.program.commands import program_cli
from portal.reminders.commands import reminders_cli
from portal.summary.commands import snapshots_cli
from portal.vocab import ROLES

users_cli = AppGroup("users", help="Manage logins.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", required=True, type=click.Choice(ROLES))
def users_create(email: str, name: str, role: str) -> None:
    """Create a login for a person (found by email, name or alias, else added); the
    password comes from PORTAL_PASSWORD or a prompt."""
    from portal.auth import passwords, users

    password = os.environ.get("PORTAL_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    refused = passwords.problem(password, (email, name))
    if refused:
        raise click.ClickException(f"That password is refused: {refused}")
    try:
        user = users.create_user(db.session, Actor(via="cli", name="flask users create"),
                                 email=email, name=name, role=role, password=password)
    except users.UserError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {role} login {user.email}, acting as {user.person.name}.")


@users_cli.command("invite")
@click.argument("email")
@click.option("--role", default="owner", show_default=True, type=click.Choice(ROLES))
@click.option("--name", help="The person's name, when no person has this email yet.")
def users_invite(email: str, role: str, name: str | None) -> None:
    """Invite the person with EMAIL (or NAME) to sign in: a mail with a link to choose a
    password. Without a mail server the link is printed."""
    from portal.auth import mail, users
    from portal.people.models import Person
    from portal.reminders.outbox import send_now

    actor = Actor(via="cli", name="flask users invite")
    now = utcnow()
    try:
        address = users.clean_login_email(email)
        person = db.session.scalar(select(Person).where(func.lower(Person.email) == address))
        if person is None:
            if not name:
                raise users.UserError(f"No person has the address {address}; give their "
                                      "name with --name.")
            person = users.person_for_login(db.session, actor, email=address, name=name)
        user = users.invite(db.session, actor, person, role, now)
        message, url = mail.queue_password_mail(db.session, current_app.config, user,
                                                "invite", now)
    except users.UserError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    result = send_now(db.session, current_app.config, [message.id], now)
    if result.sent:
        click.echo(f"Invited {person.name} ({user.email}) as {role}; the mail is sent.")
    else:
        reason = ("no mail server is configured (MAIL_SERVER)" if result.logged
                  else "the mail could not be sent yet (the outbox retries it)")
        click.echo(f"Invited {person.name} ({user.email}) as {role}; {reason}. "
                   f"Send them this link (it works once, for 7 days):\n{url}")


@click.command("seed-demo")
@click.option("--rebase-to-today", is_flag=True,
              help="Shift every date so that the program is in its fifth week of thirteen, "
                   "with the weeks since its kick-off played.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has a program.")
def seed_demo_command(rebase_to_today: bool, if_empty: bool) -> None:
    """Load the demo program from the sample meeting note."""
    from portal import demo

    if not demo.is_empty(db.session):
        if not if_empty:
            raise click.ClickException("The database already holds a program; use an empty one.")
        click.echo("The database already holds a program; the demo was not loaded again.")
    else:
        from portal.program.clock import program_today

        today = program_today()
        offset = demo.rebase_offset(today) if rebase_to_today else 0
        demo.seed_demo(db.session, offset_days=offset, living=rebase_to_today, today=today)
        db.session.commit()
        click.echo(f"Loaded the demo program (dates shifted by {offset} days).")
    logins = demo.existing_demo_logins(db.session)
    if logins:
        click.echo(f"\nOpen {current_app.config['PORTAL_BASE_URL']} and sign in as:")
        for email, role in logins:
            click.echo(f"  {role:<10} {email}")
        click.echo(f"  password   {demo.DEMO_PASSWORD}  (demo logins only)")


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler in the foreground (one such process in production)."""
    from portal.jobs import run_blocking_scheduler

    run_blocking_scheduler(current_app._get_current_object())


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path: str) -> None:
    """Write a consistent copy of the database to PATH (a SQLite file)."""
    from portal.backup import BackupError, backup

    try:
        counts = backup(db.engine, db.metadata, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up {sum(counts.values())} rows in {len(counts)} tables to {path}.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
def restore_command(path: str) -> None:
    """Restore the backup at PATH into this (migrated, empty) database."""
    from portal.backup import BackupError, restore

    try:
        counts = restore(db.engine, db.metadata, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {sum(counts.values())} rows in {len(counts)} tables from {path}.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(program_cli)
    app.cli.add_command(snapshots_cli)
    app.cli.add_command(actions_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
