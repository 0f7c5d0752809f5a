import click
from flask.cli import AppGroup

from rotation.refusals import FieldProblem, command_change
from rotation.sites.slots import generate_slots

slots_cli = AppGroup("slots", help="Bookable shifts at the sites.")


@slots_cli.command("generate")
@click.option("--year", type=int, required=True, help="The calendar year, e.g. 2027.")
@click.option("--site", "site_code", default=None, help="Only this site's code; every site when left out.")
def generate(year: int, site_code: str | None):
    """Create the year's slots from each site's settings.

    Contact centres get one customer-service day per working day (Monday to
    Friday), warehouses one Monday–Friday week per Monday of the year. Days
    covered by a company or site blackout are skipped. Running it again
    creates nothing new.
    """
    with command_change():
        summaries = generate_slots(year, site_code)
        if not summaries:
            raise FieldProblem(
                None, "There are no sites yet; import them first with: flask --app rotation sites import sites.csv")
    for summary in summaries:
        click.echo(summary.describe())
    created = sum(summary.created for summary in summaries)
    already_there = sum(summary.already_there for summary in summaries)
    skipped = sum(summary.skipped_for_blackouts for summary in summaries)
    count = len(summaries)
    click.echo(f"{year}, {count} site{'s' if count != 1 else ''}: {created} created, {already_there} already there, "
               f"{skipped} skipped for blackouts")
