"""``feeds issue EMAIL``: a new personal calendar-feed link for one person."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from rotation.extensions import db
from rotation.feeds import services

feeds_cli = AppGroup("feeds", help="Personal calendar feeds.")


@feeds_cli.command("issue")
@click.argument("email")
def issue(email: str) -> None:
    """Issue a new calendar-feed link for the roster person with EMAIL and print its full URL.

    The person's previous link stops working. The URL is printed once and
    stored nowhere: only a hash of its secret is kept.
    """
    person = services.person_by_email(email)
    if person is None:
        raise click.ClickException(f"No one in the roster has the e-mail address {email.strip()!r}.")
    token = services.issue_token(person)
    db.session.commit()
    click.echo(services.feed_links(token).https)
