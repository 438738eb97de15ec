"""`flask program create` and `flask program show`: the program from the command line,
through the same domain functions as the setup page."""
from __future__ import annotations

import re
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from portal.audit.log import Actor
from portal.extensions import db

program_cli = AppGroup("program", help="The program the portal tracks.")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(_ctx, param, value: str) -> date:
    text = value.strip()
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise click.BadParameter(f"{text} is not a date that exists.", param=param) from None
    raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, for example "
                             "2027-03-31.", param=param)


@program_cli.command("create")
@click.option("--name", required=True, help="The program's name.")
@click.option("--target-date", required=True, callback=_date, metavar="YYYY-MM-DD",
              help="The date the program must be ready by.")
@click.option("--timezone", metavar="ZONE",
              help="An IANA time zone such as Europe/Berlin (default: PORTAL_TIMEZONE).")
@click.option("--description", default="", help="A sentence or two about the program.")
def create_command(name: str, target_date: date, timezone: str | None, description: str) -> None:
    """Create the program (the portal runs one); then add its milestones, hyperscalers and
    workstreams in the portal."""
    from portal.program import setup

    values = setup.ProgramValues(name=name, target_date=target_date,
                                 timezone=timezone or current_app.config["PORTAL_TIMEZONE"],
                                 description=description)
    try:
        program = setup.create_program(db.session, Actor(via="cli", name="flask program create"),
                                       values)
        db.session.commit()
    except setup.ProgramExists as error:
        db.session.rollback()
        raise click.ClickException(
            f"There is a program already: {error.program.name!r}, ready by "
            f"{error.program.target_date.isoformat()}. The portal runs one program; change it "
            f"on its page, {current_app.config['PORTAL_BASE_URL']}/program.") from None
    except setup.SetupError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created the program {program.name!r}, ready by "
               f"{program.target_date.isoformat()} ({program.timezone}).")
    click.echo(f"Next: its milestones, hyperscalers and workstreams at "
               f"{current_app.config['PORTAL_BASE_URL']}/program/milestones?setup=1")


@program_cli.command("show")
def show_command() -> None:
    """Print the program, its milestones, hyperscalers and workstreams."""
    from portal.program.clock import program_today
    from portal.program.queries import overview

    seen = overview(db.session)
    if seen is None:
        raise click.ClickException(
            "There is no program yet. Create it with `flask program create --name NAME "
            "--target-date YYYY-MM-DD`, or on the portal's setup page "
            f"({current_app.config['PORTAL_BASE_URL']}/setup).")
    program = seen.program
    days = (program.target_date - program_today()).days
    click.echo(program.name)
    click.echo(f"  ready by   {program.target_date.isoformat()} "
               f"({f'in {days} days' if days >= 0 else f'{-days} days ago'})")
    click.echo(f"  time zone  {program.timezone}")
    click.echo(f"  health     late after {program.health_grace_days} day"
               f"{'' if program.health_grace_days == 1 else 's'} of grace; amber from "
               f"{program.health_min_share} % of a workstream's open items late")
    if program.description:
        click.echo(f"  about      {' '.join(program.description.split())}")
    _section("Milestones", [f"{m.due_date.isoformat()}  {m.name}" for m in seen.milestones])
    _section("Hyperscalers (priority order)",
             [f"{s.rank}. {s.name}  ({count} POC{'' if count == 1 else 's'})"
              for s, count in seen.hyperscalers])
    _section("Workstreams", [
        f"{ws.name}  [{'gating' if ws.gating else 'not gating'}; lead: "
        f"{ws.lead.name if ws.lead else 'none'}"
        + (f"; keywords: {ws.keywords}" if ws.keywords else "") + "]"
        for ws in seen.workstreams])
    if seen.archived:
        _section("Archived workstreams", [
            f"{ws.name}  (archived {ws.archived_at.date().isoformat()})" for ws in seen.archived])


def _section(title: str, lines: list[str]) -> None:
    click.echo(f"\n{title}:")
    for line in lines or ["none yet"]:
        click.echo(f"  {line}")
