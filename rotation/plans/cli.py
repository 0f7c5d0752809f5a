"""``plan --year YYYY [--publish] [--format text|json]``."""
from __future__ import annotations

import json
import sys

import click
import sqlalchemy as sa

from rotation.db import utc_today
from rotation.extensions import db
from rotation.people.models import Person
from rotation.plans.models import PUBLISH_STEP, STEPS, PlanRun, UnplacedShift
from rotation.plans.planner import PlanningError
from rotation.plans.publish import draft_summary
from rotation.plans.runs import execute_run, start_run
from rotation.refusals import command_change


@click.command("plan")
@click.option("--year", type=int, required=True, help="The calendar year to plan, e.g. 2027.")
@click.option("--publish", is_flag=True, help="Publish the draft at once; invitations are queued.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the outcome.")
def plan_command(year: int, publish: bool, output: str) -> None:
    """Compute or update the year's plan as a draft.

    Published assignments that still fit are kept where they are; those a new
    blackout or fewer seats break are moved; leavers' future ones are withdrawn;
    newcomers are placed. Everyone who can't be placed is listed with a reason.
    Slots that start today or earlier are left as they are.
    """
    with command_change():
        run = start_run(year, user_id=None, source="command", publish=publish)
    labels = [*[*STEPS, PUBLISH_STEP][:run.steps], "Done"]
    # The bar goes to standard error, so standard output stays the report (or the JSON) alone.
    with click.progressbar(length=run.steps, label=labels[0], file=sys.stderr,
                           show_eta=False, show_percent=False, show_pos=True) as bar:
        done = 0

        def progress(current: PlanRun) -> None:
            nonlocal done
            bar.label = labels[min(current.step, len(labels) - 1)]
            bar.update(current.step - done)
            done = current.step

        try:
            run = execute_run(run.id, today=utc_today(), publish=publish, progress=progress)
        except PlanningError as error:
            raise click.ClickException(str(error)) from None
        except Exception as error:
            raise click.ClickException(f"The plan of {year} failed and nothing was written: "
                                       f"{error.__class__.__name__}: {error}") from None
    unplaced = db.session.execute(
        sa.select(Person.employee_id, UnplacedShift.kind, UnplacedShift.reason)
        .join(Person, Person.id == UnplacedShift.person_id)
        .where(UnplacedShift.plan_run_id == run.id)
        .order_by(Person.employee_id, UnplacedShift.kind)).all()
    if output == "json":
        click.echo(json.dumps({
            "assigned": {"customer_service": run.customer_service, "warehouse": run.warehouse},
            "kept": run.kept,
            "moved": run.moved,
            "unplaced": [{"employee_id": row.employee_id, "kind": row.kind, "reason": row.reason} for row in unplaced],
        }, indent=2))
        return
    click.echo(describe_run(run))
    if unplaced:
        click.echo(f"Unplaced ({len(unplaced)}):")
        for row in unplaced:
            kind = "customer-service day" if row.kind == "customer_service" else "warehouse week"
            click.echo(f"  {row.employee_id}, {kind}: {row.reason}")
    if publish:
        click.echo(f"Published: the invitations for {year} are queued.")
    elif not draft_summary(year).changes:
        click.echo(f"Nothing to publish: the plan of {year} is as published.")
    else:
        click.echo(f"This is a draft. Review it on the plan page, then publish it there or with: "
                   f"flask --app rotation plan --year {year} --publish")


def describe_run(run: PlanRun) -> str:
    """The run's figures as a few lines of text."""
    gap = run.gap
    closeness = f", so at most {gap:.3%} above the best possible plan" if gap is not None else ""
    return "\n".join([
        f"{run.year}: {run.people} people in the rotation; {run.customer_service} customer-service days and "
        f"{run.warehouse} warehouse weeks assigned.",
        f"Published shifts kept {run.kept}, moved {run.moved}, withdrawn {run.withdrawn}; newly placed {run.placed}; "
        f"unplaced {run.unplaced}.",
        f"Cost {run.objective:,} against a lower bound of {run.lower_bound:,}{closeness}; {run.seconds:.1f} s.",
    ])
