"""The once-per-request transaction: a request that succeeded is committed once, at its end; any other is
rolled back. A refused service call inside it is undone on its own (``rotation.refusals.all_or_nothing``)."""
from __future__ import annotations

import sqlalchemy as sa

from rotation.extensions import db


def init_app(app) -> None:
    """Commit once per request when it succeeded, roll back otherwise."""
    @app.after_request
    def _finish_transaction(response):
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
