"""``people import``, ``sites import`` and ``blackouts import``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from rotation.extensions import db
from rotation.imports.plan import apply
from rotation.imports.registry import make_plan

people_cli = AppGroup("people", help="The HR roster.")
sites_cli = AppGroup("sites", help="Frontline sites.")
blackouts_cli = AppGroup("blackouts", help="Periods without shifts.")


def run_import(kind: str, file: str, dry_run: bool, deactivate_missing: bool = False) -> None:
    path = Path(file)
    try:
        content = path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"Cannot read {file}: {error.strerror}.") from None
    plan = make_plan(kind, content, deactivate_missing)
    if plan.problems:
        for problem in plan.problems:
            click.echo(f"{path.name}, {problem}", err=True)
        count = len(plan.problems)
        raise click.ClickException(
            f"{path.name}: {count} problem{'s' if count != 1 else ''} found; nothing was imported.")
    if dry_run:
        click.echo("Dry run: nothing was written.")
    else:
        apply(plan)
        db.session.commit()
    click.echo(plan.summary())


def _import_command(group: AppGroup, kind: str, deactivate: bool = False):
    def command(file: str, dry_run: bool, deactivate_missing: bool = False):
        run_import(kind, file, dry_run, deactivate_missing)

    command.__doc__ = f"Import {kind}.csv: validate the whole file, then add and update {kind}."
    command = click.option("--dry-run", is_flag=True, help="Validate and report, but write nothing.")(command)
    if deactivate:
        command = click.option("--deactivate-missing", is_flag=True,
                               help="Deactivate active people who are not in the file (leavers).")(command)
    command = click.argument("file", type=click.Path(dir_okay=False))(command)
    group.command("import")(command)


_import_command(people_cli, "people", deactivate=True)
_import_command(sites_cli, "sites")
_import_command(blackouts_cli, "blackouts")
