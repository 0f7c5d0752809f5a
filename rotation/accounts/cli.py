import sys

import click
from flask.cli import AppGroup

from rotation.accounts import services
from rotation.refusals import FieldProblem, command_change

users_cli = AppGroup("users", help="Log-in accounts.")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


@users_cli.command("create")
@click.option("--email", required=True, help="The account's e-mail address.")
@click.option("--role", "roles", required=True, help="Roles, comma-separated: hr, manager, owner, admin.")
@click.option("--name", "display_name", default=None, help="The name shown in the app.")
def create_user(email: str, roles: str, display_name: str | None):
    """Create or update a log-in account.

    The password is read as one line from standard input; when standard input
    is a terminal, a password is generated and printed instead. Updating an
    account with empty standard input keeps its password.
    """
    generated = None
    password: str | None
    with command_change():
        role_list = services.parse_roles(roles)
        email = services.normalise_email(email)
        if stdin_is_terminal():
            password = generated = services.generate_password()
        else:
            password = sys.stdin.readline().rstrip("\r\n") or None
            if password is None and services.find_user_by_email(email) is None:
                raise FieldProblem(
                    None, "Give the new account's password as one line on standard input "
                    "(or run the command in a terminal to have one generated)."
                )
        user, created = services.save_user(email, role_list, password, display_name)
    click.echo(f"{'Created' if created else 'Updated'} {user.email} with roles {', '.join(user.roles)}.")
    if generated:
        click.echo(f"Password: {generated}")
