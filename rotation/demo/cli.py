from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from rotation.accounts import services as accounts
from rotation.accounts.models import User
from rotation.db import utc_today, utcnow
from rotation.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from rotation.demo.history import play_the_year
from rotation.demo.observations import file_demo_observations
from rotation.demo.problems import triage_demo_observations
from rotation.demo.process_map import load_process_map
from rotation.demo.replies import answer_demo_invitations
from rotation.demo.today import give_demo_logins_their_next_shifts
from rotation.extensions import db
from rotation.imports.plan import apply
from rotation.imports.registry import make_plan
from rotation.people.models import Person
from rotation.plans.runs import plan_run, start_run
from rotation.sites.slots import generate_slots

demo_cli = AppGroup("demo", help="The demo company.")
DATA = Path(__file__).parent / "data"


def database_is_empty() -> bool:
    return not db.session.scalar(sa.select(sa.exists().where(User.id.is_not(None)))) and \
        not db.session.scalar(sa.select(sa.exists().where(Person.id.is_not(None))))


def load_demo(today: date | None = None) -> None:
    """Load the demo company through the same imports HR uses, then its slots and log-ins."""
    today = today or utc_today()
    # The log-ins first: people with an account are not sent a link to set a password.
    for email, name, roles in DEMO_ACCOUNTS:
        accounts.save_user(email, roles, DEMO_PASSWORD, name)
    for kind in ("sites", "people", "blackouts"):
        plan = make_plan(kind, (DATA / f"{kind}.csv").read_bytes())
        if plan.problems:  # the files are ours; a problem here is a bug in the repository
            raise click.ClickException(f"demo {kind}.csv: {plan.problems[0]}")
        apply(plan)
    for year in (today.year, today.year + 1):
        generate_slots(year)
    # This year's plan as it was published at the start of the year, so past shifts exist; next year's
    # as HR would publish it today.
    for year, not_before in ((today.year, date(today.year, 1, 1)), (today.year + 1, today + timedelta(days=1))):
        plan_run(start_run(year, user_id=None, source="demo", publish=True), not_before=not_before, publish=True)
    # The year so far: who came to their shift, and the change requests managers made.
    play_the_year(today)
    # Each demo log-in's warehouse week just worked (observations can be filed) and a day tomorrow to confirm.
    now = utcnow() if today == utc_today() else datetime.combine(today, time(12), tzinfo=UTC)
    give_demo_logins_their_next_shifts(now)
    # What people's calendar apps answered to next year's invitations: accepted, declined, a new time proposed.
    answer_demo_invitations(today, now)
    # The process map, and what managers saw on their recent shifts.
    load_process_map()
    file_demo_observations(today)
    # What the owners made of them: problems in every status, a merged duplicate, a fix being verified.
    triage_demo_observations(today)


def print_logins() -> None:
    click.echo(f"Demo log-ins (password for each: {DEMO_PASSWORD}):")
    for email, name, roles in DEMO_ACCOUNTS:
        click.echo(f"  {email:<24} {', '.join(roles):<16} {name}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing, successfully, when the database has data.")
def load(if_empty: bool):
    """Load the demo company into an empty database."""
    if not database_is_empty():
        if if_empty:
            click.echo("The database already has data; the demo company was not loaded again.")
            print_logins()
            return
        raise click.ClickException(
            "The database already has data; the demo company loads only into an empty database."
        )
    load_demo()
    db.session.commit()
    click.echo("Loaded the demo company: sites, people, blackouts, this year's and next year's slots and "
               "published plans, attendance, change requests, the process map, observations and problems.")
    print_logins()
