"""``assignments export --year YYYY [--status S] [--kind K] [--site CODE] [--search TEXT] [--format csv|json]``."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from rotation.assignments.export import COLUMNS, STATUS_FILTERS, AssignmentFilter, export_rows
from rotation.assignments.models import KIND_LABELS
from rotation.exports import OUTPUTS, print_rows
from rotation.extensions import db
from rotation.sites.models import Site

assignments_cli = AppGroup("assignments", help="People's customer-service days and warehouse weeks.")


@assignments_cli.command("export")
@click.option("--year", type=int, required=True, help="The calendar year, e.g. 2027.")
@click.option("--status", type=click.Choice([str(status) for status in STATUS_FILTERS]),
              help="Only assignments in this status; replan: those a blackout now covers.")
@click.option("--kind", type=click.Choice([str(kind) for kind in KIND_LABELS]), help="Only this kind of shift.")
@click.option("--site", metavar="CODE", help="Only shifts at the site with this code.")
@click.option("--search", metavar="TEXT",
              help="Only people whose name or e-mail address has words beginning so, or with this employee id.")
@click.option("--format", "output", type=click.Choice(OUTPUTS), default="csv", show_default=True,
              help="CSV with a header row, or a JSON array of objects.")
def export(year: int, status: str | None, kind: str | None, site: str | None, search: str | None,
           output: str) -> None:
    """Print every assignment of the year to standard output, cancelled ones included.

    Columns: employee_id, email, kind, site, start, end, status, uid, sequence.
    A customer-service day's start and end carry the site's UTC offset; a
    warehouse week's are its first and last day. The filters are those of the
    Assignments page, whose "Download CSV" writes the same file.
    """
    if site and db.session.scalar(sa.select(Site.id).where(Site.code == site)) is None:
        raise click.ClickException(f"No site has the code {site}.")
    filters = AssignmentFilter(year=year, status=status or "", kind=kind or "", site=site or "",
                               search=" ".join((search or "").split()))
    print_rows(COLUMNS, export_rows(filters), output)
