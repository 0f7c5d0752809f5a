"""``people export [--active yes|no|any] [--in-rotation yes|no] [--search TEXT] [--format csv|json]``, in the
``people`` group the roster import (``rotation.imports.cli``) opens."""
from __future__ import annotations

import click

from rotation.exports import OUTPUTS, print_rows
from rotation.people.export import ANY, COLUMNS, YES_NO, PeopleFilter, export_rows


@click.command("export")
@click.option("--active", type=click.Choice([*YES_NO, ANY]), default="yes", show_default=True,
              help="Active people, leavers (deactivated), or both.")
@click.option("--in-rotation", "in_rotation", type=click.Choice(YES_NO),
              help="Only people in the rotation, or only those not in it.")
@click.option("--search", metavar="TEXT",
              help="Only people whose name, e-mail address or department has words beginning so, or with this "
                   "employee id.")
@click.option("--format", "output", type=click.Choice(OUTPUTS), default="csv", show_default=True,
              help="CSV with a header row, or a JSON array of objects.")
def people_export(active: str, in_rotation: str | None, search: str | None, output: str) -> None:
    """Print the roster to standard output, by employee id; active people unless told otherwise.

    Columns: employee_id, full_name, email, department, manager_id, home_site,
    in_rotation, active, rotation_member. The first seven are people.csv's, so
    the file re-imports unchanged: in_rotation is HR's setting (yes, no, or
    empty when the rule decides). rotation_member is yes when the person is in
    the rotation by that setting or the rule. The filters are those of the
    People page, whose "Download CSV" writes the same file.
    """
    filters = PeopleFilter(search=" ".join((search or "").split()), active=active, in_rotation=in_rotation or "")
    print_rows(COLUMNS, export_rows(filters), output)
