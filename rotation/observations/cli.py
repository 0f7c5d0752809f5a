"""``observations export [--owner EMAIL] [--format csv|json]``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from rotation.accounts.services import find_user_by_email
from rotation.exports import OUTPUTS, print_rows
from rotation.observations.export import COLUMNS, export_rows
from rotation.process_map.tree import owned_area_ids

observations_cli = AppGroup("observations", help="Observations filed from shifts.")


@observations_cli.command("export")
@click.option("--owner", metavar="EMAIL",
              help="Only those in the process areas this account owns and the areas below them, as its "
                   "Observations in my areas page lists them.")
@click.option("--format", "output", type=click.Choice(OUTPUTS), default="csv", show_default=True,
              help="CSV with a header row, or a JSON array of objects.")
def export(owner: str | None, output: str) -> None:
    """Print every observation to standard output, oldest first.

    Drafts are left out: they are private to their author until submitted.

    Columns: id, status, submitted_at, author_employee_id, author_email,
    shift_uid, shift_kind, site, shift_start, area, kind, title, severity,
    frequency, customer_minutes, customer_visible, andon, problem_id,
    problem_status, seconds. Times are ISO 8601: submitted_at in UTC,
    shift_start with the site's UTC offset (a warehouse week's first day);
    area is the path from the top, e.g. "Customer service › Refunds";
    seconds counts the "me too"s. With --owner, the file that account's
    "Download CSV" on Observations in my areas gives.
    """
    area_ids = None
    if owner is not None:
        account = find_user_by_email(owner)
        if account is None:
            raise click.ClickException(f"No account has the address {owner}.")
        area_ids = owned_area_ids(account.id)
    print_rows(COLUMNS, export_rows(area_ids), output)
