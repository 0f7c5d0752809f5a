"""``observations export [--format csv|json]``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from rotation.exports import OUTPUTS, print_rows
from rotation.observations.export import COLUMNS, export_rows

observations_cli = AppGroup("observations", help="Observations filed from shifts.")


@observations_cli.command("export")
@click.option("--format", "output", type=click.Choice(OUTPUTS), default="csv", show_default=True,
              help="CSV with a header row, or a JSON array of objects.")
def export(output: str) -> None:
    """Print every observation to standard output, oldest first.

    Drafts are left out: they are private to their author until submitted.

    Columns: id, status, submitted_at, author_employee_id, author_email,
    shift_uid, shift_kind, site, shift_start, area, kind, title, severity,
    frequency, customer_minutes, customer_visible, andon, problem_id,
    problem_status, seconds. Times are ISO 8601: submitted_at in UTC,
    shift_start with the site's UTC offset (a warehouse week's first day);
    area is the path from the top, e.g. "Customer service › Refunds";
    seconds counts the "me too"s.
    """
    print_rows(COLUMNS, export_rows(), output)
