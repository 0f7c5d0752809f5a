"""The application factory: every area's pages, commands, background work and signal receivers, wired up.

Imported by ``rotation.create_app`` when an application is built, so that importing a pure part of the
package (the planning engine, a model) does not build the web application's whole import graph. The
background work, the kinds of import and the signal receivers are registered as their modules are imported
here: the worker's jobs and passes (``imports``, ``outbox``, ``plans``), the files HR imports (sites, people,
blackouts) and the problems layer's answers to observations.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_login import user_loaded_from_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from rotation import config as configuration
from rotation import (
    errors,
    models,  # noqa: F401  (the whole schema, for Alembic)
    security,
    templating,
    transactions,
)
from rotation.accounts.cli import users_cli
from rotation.accounts.sign_ins import renew_on_cookie
from rotation.accounts.signed_in import load_signed_in
from rotation.accounts.views import bp as accounts
from rotation.assignments import (
    bulk_move_views,  # noqa: F401  (adds moving several to the assignments blueprint)
    bulk_views,  # noqa: F401  (adds withdrawing several to the assignments blueprint)
    roster_effects,  # noqa: F401  (what leavers and blackouts mean for shifts)
    undo_views,  # noqa: F401  (adds taking back a change to the assignments blueprint)
)
from rotation.assignments.cli import assignments_cli
from rotation.assignments.views import bp as assignments
from rotation.attendance.views import bp as attendance
from rotation.blackouts import imports as blackout_imports  # noqa: F401  (registers the blackouts file)
from rotation.blackouts.views import bp as blackouts
from rotation.briefings.views import bp as briefings
from rotation.change_requests.views import bp as change_requests
from rotation.coverage.views import bp as coverage
from rotation.demo.cli import demo_cli
from rotation.extensions import csrf, db, login_manager, migrate
from rotation.feeds.cli import feeds_cli
from rotation.feeds.revalidation import ConditionalFeedPolls
from rotation.feeds.views import bp as feeds
from rotation.home.views import bp as home
from rotation.imports import background as import_jobs  # noqa: F401  (registers the import jobs)
from rotation.imports.cli import blackouts_cli, people_cli, sites_cli
from rotation.imports.views import bp as imports
from rotation.insights.views import bp as insights
from rotation.jobs.worker import worker_command
from rotation.my_rotation.views import bp as my_rotation
from rotation.notifications.views import bp as notifications
from rotation.observations.checks import bp as observation_checks
from rotation.observations.cli import observations_cli
from rotation.observations.evidence_views import bp as evidence
from rotation.observations.views import allow_photo_uploads
from rotation.observations.views import bp as observations
from rotation.offline.views import bp as offline
from rotation.outbox import background as outbox_pass  # noqa: F401  (registers the outbox's pass)
from rotation.outbox.cli import invites_cli
from rotation.outbox.views import bp as outbox
from rotation.people import imports as roster_imports  # noqa: F401  (registers the roster file)
from rotation.people import suggest  # noqa: F401  (adds the person suggestions to the people blueprint)
from rotation.people.cli import people_export
from rotation.people.views import bp as people
from rotation.plans import background as plan_jobs  # noqa: F401  (registers the plan runs)
from rotation.plans.cli import plan_command
from rotation.plans.views import bp as plans
from rotation.problems import (
    receivers,  # noqa: F401  (answers what observations ask of problems)
    triage_views,  # noqa: F401  (adds the triage pages to the problems blueprint)
)
from rotation.problems.cli import problems_cli
from rotation.problems.views import bp as problems
from rotation.process_map.views import bp as process_map
from rotation.replies import background as replies_pass  # noqa: F401  (registers the organizer mailbox's pass)
from rotation.replies.cli import replies_cli
from rotation.replies.views import bp as replies
from rotation.schedule.views import bp as schedule
from rotation.sites import imports as site_imports  # noqa: F401  (registers the sites file)
from rotation.sites.cli import slots_cli
from rotation.sites.views import bp as sites

REPOSITORY = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application. ``test_config`` overrides the environment's settings."""
    app = Flask(
        "rotation",
        instance_path=str(REPOSITORY / "instance"),
        template_folder=str(REPOSITORY / "templates"),
        static_folder="static",
    )
    instance_path = (test_config or {}).get("INSTANCE_PATH", app.instance_path)
    app.config.from_mapping(configuration.settings_from_environment(instance_path))
    app.config.update(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the signed session
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,
    )
    if test_config:
        app.config.update(test_config)
    configuration.check_settings(app.config)
    for warning in configuration.setting_warnings(app.config):
        app.logger.warning(warning)
    if app.config["ROTATION_PROXIES"]:
        # Behind a reverse proxy the client's address, scheme and host come from its headers;
        # log-in throttling counts failures per client address.
        proxies = app.config["ROTATION_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    _init_extensions(app)
    app.wsgi_app = ConditionalFeedPolls(app, app.wsgi_app)  # type: ignore[method-assign]
    _register_blueprints(app)
    _register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPOSITORY / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    # "basic", not "strong": managers on the floor move between networks on their phones.
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_signed_in)
    user_loaded_from_cookie.connect(renew_on_cookie)  # the same receiver connects once, whatever the apps

    transactions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)


def _register_blueprints(app: Flask) -> None:
    for blueprint in (accounts, home, people, sites, blackouts, imports, plans, assignments, schedule, outbox, feeds,
                      my_rotation, briefings, coverage, change_requests, attendance, notifications, observations,
                      process_map, evidence, observation_checks, problems, insights, replies, offline):
        app.register_blueprint(blueprint)
    # First of all request hooks: the CSRF check reads the form, and with it the upload.
    app.before_request_funcs.setdefault(None, []).insert(0, allow_photo_uploads)


def _register_commands(app: Flask) -> None:
    for group in (users_cli, demo_cli, people_cli, sites_cli, blackouts_cli, slots_cli, plan_command,
                  assignments_cli, invites_cli, replies_cli, feeds_cli, observations_cli, problems_cli, worker_command):
        app.cli.add_command(group)
    people_cli.add_command(people_export)  # the roster's export, beside its import
