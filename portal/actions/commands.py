"""`flask actions export`: every action item, in the fields of `portal.actions.export`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db

actions_cli = AppGroup("actions", help="Action items.")


@actions_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--bom", is_flag=True,
              help="Start the CSV with a UTF-8 byte-order mark (for Excel).")
def export_command(fmt: str, bom: bool) -> None:
    """Write every action item to standard output as CSV or JSON."""
    from portal.actions.export import export_rows, to_csv, to_json

    rows = export_rows(db.session)
    click.echo(to_json(rows) if fmt == "json" else to_csv(rows, bom=bom), nl=False)
