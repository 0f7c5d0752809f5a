"""``assignments export --year YYYY [--format csv|json]``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from rotation.assignments.export import COLUMNS, export_rows
from rotation.exports import OUTPUTS, print_rows

assignments_cli = AppGroup("assignments", help="People's customer-service days and warehouse weeks.")


@assignments_cli.command("export")
@click.option("--year", type=int, required=True, help="The calendar year, e.g. 2027.")
@click.option("--format", "output", type=click.Choice(OUTPUTS), default="csv", show_default=True,
              help="CSV with a header row, or a JSON array of objects.")
def export(year: int, output: str) -> None:
    """Print every assignment of the year to standard output, cancelled ones included.

    Columns: employee_id, email, kind, site, start, end, status, uid, sequence.
    A customer-service day's start and end carry the site's UTC offset; a
    warehouse week's are its first and last day.
    """
    print_rows(COLUMNS, export_rows(year), output)
