"""The plan page: run the plan, review the draft, publish it.

HR starts a run from the year's page; the background worker plans while the
page follows its progress. The page then shows the draft: the run's
figures, the load by week and by site, the moves and withdrawals publishing
would make and whoever could not be placed, and publishing after a confirmation.
"""
from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from rotation.assignments.models import KIND_LABELS
from rotation.db import utc_today
from rotation.extensions import db
from rotation.jobs.queue import job_for, waiting_for_a_worker
from rotation.navigation import PLAN, menu_entry
from rotation.pagination import paginate
from rotation.plans import charts, queries
from rotation.plans.background import PLAN_RUN, queue_run
from rotation.plans.forms import PublishForm, RunPlanForm
from rotation.plans.models import FAILED, FINISHED, PlanRun
from rotation.plans.planner import PlanningError
from rotation.plans.publish import DraftSummary, consequences, draft_summary, publish_year
from rotation.plans.runs import check_year, running_run
from rotation.refusals import all_or_nothing
from rotation.roles import HR
from rotation.security import roles_required
from rotation.sites.slots import FIRST_YEAR, LAST_YEAR

bp = Blueprint("plans", __name__, url_prefix="/plan")
menu_entry("Year plan", "plans.plan_index", {HR}, position=60, group=PLAN)
# HR's home card shows each year's plan state; the home view stays unaware of plans.
bp.app_template_global("plan_states")(queries.plan_states)
bp.app_template_global("unbooked_counts")(queries.unbooked_counts)

PREVIEW = 10  # rows of each list on the year's page; the full lists have pages of their own
PER_PAGE = 50


@bp.context_processor
def _labels() -> dict:
    return {"kind_labels": KIND_LABELS}


@bp.get("/")
@roles_required(HR)
def plan_index():
    """This year's plan."""
    return redirect(url_for(".year_page", year=utc_today().year))


@bp.get("/<int:year>")
@roles_required(HR)
def year_page(year: int):
    """The state of ``year``'s plan: its latest run, what publishing would change, the load charts."""
    _check_range(year)
    years = _switchable(year)
    slots = queries.slots_per_year(years)
    runs = queries.year_runs(year)
    figures = queries.year_figures(year)
    summary = figures.summary
    proposals = (db.session.scalars(queries.proposals(year).limit(PREVIEW)).all()
                 if summary.moves + summary.withdrawals else [])
    unplaced = (db.session.scalars(queries.unplaced(runs.finished.id).limit(PREVIEW)).all()
                if runs.finished is not None and runs.finished.unplaced else [])
    year_charts = charts.year_charts(year)
    placements = (db.session.scalars(queries.new_placements(year).limit(PREVIEW)).all() if summary.new else [])
    colliding = (db.session.scalars(queries.colliding(year).limit(PREVIEW)).all() if summary.collisions else [])
    since = queries.withdrawn_since(year, runs.finished)
    # Only asked when nothing else is to publish: a draft to publish or a collision says more.
    withdrawn = (db.session.scalars(since.limit(PREVIEW + 1)).all()
                 if since is not None and not summary.changes and not summary.collisions else [])
    return render_template(
        "plans/year.html", year=year, years=years, slots=slots, no_slots=_no_slots_sentence(year, slots),
        runs=runs, summary=summary, announced=figures.announced, collisions=collision_sentence(summary),
        state=publish_state(summary, figures.announced, withdrawn), colliding=colliding, placements=placements,
        withdrawn=withdrawn[:PREVIEW], more_withdrawn=len(withdrawn) > PREVIEW,
        nearness=queries.nearness(year) if runs.finished is not None else None,
        proposals=proposals, reasons=queries.proposal_reasons(proposals, runs.finished), unplaced=unplaced,
        week_chart=year_charts.weeks, site_chart=year_charts.sites,
        run_form=RunPlanForm(), publish_form=PublishForm(),
        worker_missing=runs.running is not None and waiting_for_a_worker(job_for(PLAN_RUN, runs.running.id)))


@bp.get("/<int:year>/changes")
@roles_required(HR)
def change_list(year: int):
    """Every move and withdrawal publishing ``year``'s draft would make, 50 a page."""
    _check_range(year)
    page = paginate(queries.proposals(year), per_page=PER_PAGE)
    reasons = queries.proposal_reasons(page.items, queries.year_runs(year).finished)
    return render_template("plans/changes.html", year=year, page=page, reasons=reasons)


@bp.get("/<int:year>/unplaced")
@roles_required(HR)
def unplaced_list(year: int):
    """Everyone the latest finished run of ``year`` could not place, with the reason, 50 a page."""
    _check_range(year)
    finished = queries.year_runs(year).finished
    page = paginate(queries.unplaced(finished.id), per_page=PER_PAGE) if finished is not None else None
    return render_template("plans/unplaced.html", year=year, run=finished, page=page)


@bp.get("/<int:year>/unbooked")
@roles_required(HR)
def unbooked_list(year: int):
    """Everyone in the rotation without both shifts of ``year`` booked, by name, and what each lacks; 50 a page."""
    _check_range(year)
    page = paginate(queries.unbooked_people(year), per_page=PER_PAGE, rows=True)
    return render_template("plans/unbooked.html", year=year, page=page, words=queries.STANDING_WORDS,
                           booked=queries.BOOKED)


@bp.post("/<int:year>/run")
@roles_required(HR)
def run_plan(year: int):
    """Queue a run of ``year`` for the background worker and come straight back to the page that follows it."""
    _check_range(year)
    if not RunPlanForm().validate_on_submit():
        abort(400)
    try:
        with all_or_nothing():
            queue_run(year, current_user.id)
    except PlanningError as refusal:
        # Without slots the page says so and links to creating them, rather than naming the command.
        flash(_no_slots_sentence(year, queries.slots_per_year((year,))) or refusal.message, "error")
        return redirect(url_for(".year_page", year=year))
    flash(f"The plan of {year} is running. This page follows its progress; the draft appears here when it is done.",
          "success")
    return redirect(url_for(".year_page", year=year))


@bp.get("/<int:year>/runs/<int:run_id>/progress")
@roles_required(HR)
def run_progress(year: int, run_id: int):
    """A run's progress as JSON, for the page to follow while it runs."""
    run = db.session.get(PlanRun, run_id)
    if run is None or run.year != year:
        abort(404)
    return jsonify(status=run.status, done=run.status in (FINISHED, FAILED), step=run.step, steps=run.steps,
                   label=progress_label(run), error=run.error)


@bp.post("/<int:year>/publish")
@roles_required(HR)
def publish(year: int):
    """First a page saying what would be queued; publishing happens only when that page's button is pressed."""
    _check_range(year)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    back = redirect(url_for(".year_page", year=year))
    if running_run(year) is not None:
        flash(f"A plan of {year} is running. Publish once it has finished and you have reviewed its draft.", "error")
        return back
    summary = draft_summary(year)
    if not summary.changes and not summary.collisions:
        flash(f"There is nothing to publish in {year}: the published plan already matches the draft.", "info")
        return back
    if not form.is_confirmed:
        news = consequences(year) if not summary.collisions else []
        colliding = (db.session.scalars(queries.colliding(year).limit(PREVIEW)).all() if summary.collisions else [])
        return render_template("plans/confirm_publish.html", year=year, summary=summary, form=form,
                               run_form=RunPlanForm(), queued=queued_sentence(summary, "will be"),
                               collisions=collision_sentence(summary), colliding=colliding, news=news,
                               e_mails=sum(kind.e_mails for kind in news))
    try:
        with all_or_nothing():
            published = publish_year(year, current_user.id)
    except PlanningError as refusal:
        flash(refusal.message, "error")
        return back
    flash(f"Published the plan of {year}: {queued_sentence(published, 'are')}.", "success")
    return back


def _check_range(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)


def _switchable(year: int) -> tuple[int, ...]:
    """The years the page offers: this year, next year, and the one shown."""
    today = utc_today().year
    return tuple(sorted({today, today + 1, year}))


def _no_slots_sentence(year: int, slots: dict[int, int]) -> str | None:
    """Why ``year`` cannot be planned yet, or None when it has slots; the page links to creating them."""
    if slots.get(year):
        return None
    try:
        check_year(year)
    except PlanningError:
        return f"{year} has no slots yet, so it cannot be planned."
    return None


def _counted(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def queued_sentence(summary: DraftSummary, verb: str) -> str:
    """What the invitations outbox will send: "3 invitations, 1 update and no cancellations are queued"."""
    parts = [_counted(summary.new, "invitation", "invitations"), _counted(summary.moves, "update", "updates"),
             _counted(summary.withdrawals, "cancellation", "cancellations")]
    return f"{', '.join(parts[:2])} and {parts[2]} {verb} queued"


def collision_sentence(summary: DraftSummary) -> str | None:
    """Why publishing is refused while blackouts added since the last run collide with shifts."""
    if not summary.collisions:
        return None
    shifts = _counted(summary.collisions, "shift collides", "shifts collide")
    return (f"{shifts} with blackouts added since the plan last ran, so the draft cannot be published. "
            f"Run the plan of {summary.year} again, then publish.")


# The one state of a year's publishing, as the plan page shows it (never two that contradict each other).
BLOCKED, TO_PUBLISH, TO_RERUN = "blocked", "to publish", "to re-run"
UP_TO_DATE, NOT_PLANNED = "up to date", "not planned"


def publish_state(summary: DraftSummary, announced: int, withdrawn: Sequence[object]) -> str:
    """Where publishing stands: blocked by blackouts, changes to publish, shifts withdrawn by hand since the
    last run (run again), up to date, or nothing planned yet."""
    if summary.collisions:
        return BLOCKED
    if summary.changes:
        return TO_PUBLISH
    if withdrawn:
        return TO_RERUN
    return UP_TO_DATE if announced else NOT_PLANNED


def progress_label(run: PlanRun) -> str:
    if run.status == FINISHED:
        return "Finished"
    if run.status == FAILED:
        return "Stopped"
    return run.step_label


@bp.app_template_filter("run_by")
def run_by(run: PlanRun) -> str:
    """Who started a run, in words: the person, the plan command, the demo, or the system."""
    if run.started_by is not None:
        return run.started_by.name
    if run.source == "command":
        return "the plan command"
    if run.source == "demo":
        return "the demo"
    if run.started_by_id is None and run.source == "page":
        return "someone whose account has since been removed"
    return "the system"


@bp.app_template_filter("run_time")
def run_time(seconds: float) -> str:
    """How long a run took: "under a second", "in 4 seconds", "in 2 min 5 s"."""
    if seconds < 1:
        return "under a second"
    if seconds < 60:
        whole = round(seconds)
        return f"in {whole} second{'s' if whole != 1 else ''}"
    minutes, rest = divmod(round(seconds), 60)
    return f"in {minutes} min {rest} s" if rest else f"in {minutes} min"


@bp.app_template_filter("closeness")
def closeness(gap: float | None) -> str:
    """How close a run came to the best possible plan, modestly: "within 0.02 % of the best possible"."""
    if gap is None:
        return ""
    if gap <= 0:
        return "the best possible plan"
    if gap > 1:
        # A year planned partly in the past (or around many published shifts) keeps shifts the estimate
        # of the best plan leaves free; a percentage would only alarm.
        return ("not comparable with the best possible: the planner kept shifts already past or published "
                "where they are, which its estimate of the best plan does not")
    percent = gap * 100
    shown = "0.01" if percent < 0.01 else f"{percent:.2f}".rstrip("0").rstrip(".")
    return f"within {shown} % of the best possible"
