from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from rotation.extensions import Model, db
from rotation.sites.models import Site

# How a person's shifts reach their calendar (chosen on the Calendar page): e-mailed invitations, the subscribed
# calendar feed only, or both. Only ``feed`` stops the calendar e-mails (see rotation.outbox.queue).
BY_EMAIL = "email"
BY_FEED = "feed"
BY_BOTH = "both"
CALENDAR_DELIVERIES = (BY_EMAIL, BY_FEED, BY_BOTH)
# The choices whose owners get invitations and cancellations by e-mail.
INVITED_BY_EMAIL = (BY_EMAIL, BY_BOTH)


class Person(Model):
    """Someone from the HR roster.

    A person is in the rotation when HR says so (``in_rotation_override``) or,
    when HR says nothing, exactly when an active person reports to them.
    """

    __tablename__ = "person"
    __table_args__ = (
        sa.CheckConstraint(f"calendar_delivery IN ({', '.join(repr(value) for value in CALENDAR_DELIVERIES)})",
                           name="known_calendar_delivery"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # Stored lower-case: unique whatever its spelling, and the link to a log-in account.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    department: Mapped[str] = mapped_column(sa.String(120), index=True)
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"), index=True)
    home_site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id", ondelete="SET NULL"), index=True)
    in_rotation_override: Mapped[bool | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    calendar_delivery: Mapped[str] = mapped_column(sa.String(10), default=BY_EMAIL, server_default=BY_EMAIL)

    manager: Mapped[Person | None] = relationship(remote_side=[id], lazy="raise_on_sql")
    home_site: Mapped[Site | None] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Person {self.employee_id}>"


def has_active_reports():
    """SQL: the person (``Person``) has at least one active direct report."""
    report = aliased(Person)
    return sa.exists().where(report.manager_id == Person.id, report.is_active.is_(True))


def in_rotation_expression():
    """SQL: the person is in the rotation (the override, else the default rule)."""
    return sa.case(
        (Person.in_rotation_override.is_not(None), Person.in_rotation_override),
        else_=has_active_reports(),
    )


def in_rotation_clause():
    """SQL: an active person who is in the rotation (usable in WHERE on any database)."""
    return sa.and_(
        Person.is_active.is_(True),
        sa.or_(
            Person.in_rotation_override.is_(True),
            sa.and_(Person.in_rotation_override.is_(None), has_active_reports()),
        ),
    )


def active_person(email: str) -> Person | None:
    """The active roster person with this e-mail address (a signed-in account's, say), or None."""
    return db.session.scalar(
        sa.select(Person).where(Person.email == email.strip().lower(), Person.is_active.is_(True)))
