import click
import sqlalchemy as sa
from flask.cli import AppGroup

from rotation.accounts import services as accounts
from rotation.accounts.models import User
from rotation.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from rotation.extensions import db

demo_cli = AppGroup("demo", help="The demo company.")


def database_is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def load_demo() -> None:
    """Load the demo company: its accounts, one per role."""
    for email, name, roles in DEMO_ACCOUNTS:
        accounts.save_user(email, roles, DEMO_PASSWORD, name)


def print_logins() -> None:
    click.echo("Demo log-ins (password for each: %s):" % DEMO_PASSWORD)
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
    click.echo("Loaded the demo company.")
    print_logins()
