"""Error pages. Each one rolls back whatever the failed request had changed."""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app, g, render_template, request
from flask_wtf.csrf import CSRFError

from rotation.extensions import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back, check what you entered and try again."),
    403: ("Not allowed",
          "Your account does not have access to this page. If you think it should, ask an administrator."),
    404: ("Not found", "There is nothing at this address. It may have moved, or the link may be mistyped."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("File too large", "The upload is larger than Rotation accepts: 20 MB at once, or 110 MB of photos for an "
                            "observation. Split the file, or send fewer photos at a time."),
    429: ("Too many attempts", "Please wait a moment before trying again."),
    500: ("Something went wrong",
          "The server could not finish your request and nothing was saved. Please try again; "
          "if it happens again, tell an administrator."),
}


UNSTORABLE = ("Something you entered cannot be stored (a NUL character, or a number or date far out of range), "
              "so nothing was saved. Go back, correct it and send it again.")


def render_error(status: int, message: str | None = None):
    db.session.rollback()
    title, default = MESSAGES.get(status, MESSAGES[500])
    return render_template("errors/error.html", status=status, title=title, message=message or default,
                           reference=g.get("error_reference")), status


def _log_with_reference(exc_info) -> None:
    """Log an unexpected error under a short reference the error page shows, so a person's report finds it."""
    g.error_reference = secrets.token_hex(4).upper()
    current_app.logger.error("Exception on %s [%s], reference %s", request.path, request.method,
                             g.error_reference, exc_info=exc_info)


def init_app(app) -> None:
    for status in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(status, lambda error, status=status: render_error(status))

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(
            400,
            "This form had expired or did not come from Rotation, so nothing was saved. "
            "Go back, reload the page and send it again.",
        )

    @app.errorhandler(sa.exc.DataError)
    @app.errorhandler(OverflowError)
    def _unstorable(error):
        # A value the database refuses (PostgreSQL: a NUL, a number too large for its column; SQLite: an integer
        # past 64 bits) or that date arithmetic cannot hold is bad input, not a fault of the server.
        current_app.logger.warning("Refused a value that cannot be stored on %s: %s", request.path,
                                   getattr(error, "orig", error))
        return render_error(400, UNSTORABLE)

    @app.errorhandler(500)
    def _server_error(error):
        return render_error(500)

    app.log_exception = _log_with_reference
