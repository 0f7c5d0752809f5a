"""The declarative base, column types shared by every model, and the
once-per-request transaction."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names make migrations reviewable and portable between
# SQLite (batch mode needs names) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:  # every model maps one table (SQLAlchemy types it as any FROM clause)
        __table__: ClassVar[sa.Table]


class UTCDateTime(sa.types.TypeDecorator):
    """An instant, always timezone-aware UTC in Python.

    PostgreSQL keeps the zone; SQLite does not, so values are normalised to UTC
    on the way in and marked as UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is required")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_today() -> date:
    """Today's date in UTC: the one clock every rule and page reads dates from (never the server's zone)."""
    return utcnow().date()


def rowcount(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE without RETURNING matched. The session answers those with a
    ``CursorResult``, but types every answer as the ``Result`` a SELECT gets."""
    return cast("sa.CursorResult[Any]", result).rowcount


def init_app(app) -> None:
    """Commit once per request when it succeeded, roll back otherwise."""
    from rotation.extensions import db

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
