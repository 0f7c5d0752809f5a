"""``problems export [--format csv|json]``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from rotation.exports import OUTPUTS, print_rows
from rotation.problems.export import COLUMNS, export_rows

problems_cli = AppGroup("problems", help="Problems triaged from observations.")


@problems_cli.command("export")
@click.option("--format", "output", type=click.Choice(OUTPUTS), default="csv", show_default=True,
              help="CSV with a header row, or a JSON array of objects.")
def export(output: str) -> None:
    """Print every problem to standard output, oldest first, closed ones and duplicates included.

    Columns: id, title, area, owner_email, status, severity, safety,
    pain_score, due_on, overdue, created_at, closed_at, duplicate_of,
    observations, reporters, seconders, verification_metric,
    countermeasure_type. pain_score is the documented pain formula;
    observations counts the linked observations, seconders the "me too"s on
    them, reporters the distinct people who filed or seconded them; overdue
    is "yes" for an open problem past its due date. Times are ISO 8601 in UTC.
    """
    print_rows(COLUMNS, export_rows(), output)
