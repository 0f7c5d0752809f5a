"""``problems export [--status open|closed|all] [--area PATH] [--owner EMAIL] [--format csv|json]``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from rotation.accounts.services import find_user_by_email
from rotation.exports import OUTPUTS, print_rows
from rotation.problems.export import COLUMNS, GROUPS, ProblemFilter, export_rows
from rotation.process_map.tree import area_paths

problems_cli = AppGroup("problems", help="Problems triaged from observations.")


@problems_cli.command("export")
@click.option("--status", type=click.Choice(GROUPS), default="all", show_default=True,
              help="Open problems, closed ones (verified, declined, duplicates), or all.")
@click.option("--area", metavar="PATH",
              help='Only problems in this process area and the areas below it: its path as the export writes it '
                   '("Customer service › Refunds"), or its id.')
@click.option("--owner", metavar="EMAIL",
              help="Only problems this account owns or whose process area it owns, as its Only mine does.")
@click.option("--format", "output", type=click.Choice(OUTPUTS), default="csv", show_default=True,
              help="CSV with a header row, or a JSON array of objects.")
def export(status: str, area: str | None, owner: str | None, output: str) -> None:
    """Print every problem to standard output, oldest first, closed ones and duplicates included.

    Columns: id, title, area, owner_email, status, severity, safety,
    pain_score, due_on, overdue, created_at, closed_at, duplicate_of,
    observations, reporters, seconders, verification_metric,
    countermeasure_type. pain_score is the documented pain formula;
    observations counts the linked observations, seconders the "me too"s on
    them, reporters the distinct people who filed or seconded them; overdue
    is "yes" for an open problem past its due date. Times are ISO 8601 in UTC.
    The filters are those of the Problems page, whose "Download CSV" writes
    the same file.
    """
    owner_id = None
    if owner is not None:
        account = find_user_by_email(owner)
        if account is None:
            raise click.ClickException(f"No account has the address {owner}.")
        owner_id = account.id
    filters = ProblemFilter(status=status, area_id=_area_id(area) if area is not None else None, owner_id=owner_id)
    print_rows(COLUMNS, export_rows(filters), output)


def _area_id(named: str) -> int:
    """The process area with this path (spaces around the separators as you like) or id."""
    paths = area_paths()
    if named.strip().isdigit() and int(named) in paths:
        return int(named)
    wanted = _path_words(named)
    for area_id, path in paths.items():
        if _path_words(path) == wanted:
            return area_id
    raise click.ClickException(f"No process area is called {named}: give its path as the export writes it, "
                               "e.g. \"Customer service › Refunds\", or its id.")


def _path_words(path: str) -> list[str]:
    return [" ".join(part.split()).casefold() for part in path.split("›")]
