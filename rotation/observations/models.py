from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.assignments.models import Assignment
from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model
from rotation.people.models import Person
from rotation.process_map.models import ProcessArea

# What was observed.
CONTACT = "contact"              # a customer contact and what drove it
WASTE = "waste"                  # one of the eight lean wastes
DEFECT = "defect"                # a quality defect
SAFETY = "safety"
BLOCKED = "blocked"              # a system or policy stopped the frontline from helping: "the computer says no"
GOOD_PRACTICE = "good_practice"  # worth spreading
KINDS = (CONTACT, WASTE, DEFECT, SAFETY, BLOCKED, GOOD_PRACTICE)
KIND_LABELS = {
    CONTACT: "A customer contact and its driver",
    WASTE: "Waste (one of the eight lean wastes)",
    DEFECT: "A quality defect",
    SAFETY: "Safety",
    BLOCKED: "The computer (or a policy) says no",
    GOOD_PRACTICE: "A good practice worth spreading",
}

# The eight lean wastes (TIMWOODS).
WASTES = {
    "transport": "Transport: moving things that need not move",
    "inventory": "Inventory: more stock or work waiting than needed",
    "motion": "Motion: people walking, reaching, searching",
    "waiting": "Waiting: for a system, a part, an answer",
    "overproduction": "Overproduction: making more or earlier than needed",
    "overprocessing": "Over-processing: more work than the customer values",
    "defects": "Defects: rework, scrap, corrections",
    "skills": "Unused skills: people not allowed to use their judgment",
}

# How often the frontline sees it.
FREQUENCIES = {
    "first_time": "This was the first time they saw it",
    "monthly": "A few times a month",
    "weekly": "Every week",
    "daily": "Every day",
    "hourly": "Every hour or more often",
}

# Severity 1–5, each with a written meaning.
SEVERITIES = {
    1: "1 — Cosmetic: an annoyance, no real cost",
    2: "2 — Minor: some minutes lost, customer barely notices",
    3: "3 — Noticeable: the customer is let down or must contact us again",
    4: "4 — Serious: money lost, a promise broken, or a customer likely to leave",
    5: "5 — Critical: safety, legal or many customers harmed; stop and fix now",
}

# A suspected cause, by fishbone category.
CAUSES = {
    "method": "Method: the process or procedure",
    "machine": "Machine: a system, tool or equipment",
    "material": "Material: data, parts, packaging, information",
    "measurement": "Measurement: targets or metrics that push the wrong way",
    "environment": "Environment: layout, noise, place, time of day",
    "policy": "Policy: a rule that stops the frontline from helping",
    "training": "Training: nobody showed how, or it changed",
    "unknown": "Not sure yet",
}


class ObservationStatus(StrEnum):
    """Where an observation stands; the column holds the value."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    TRIAGED = "triaged"   # an owner has linked it to a problem (triage)
    DECLINED = "declined"  # an owner declined it, with a reason the author is told


# The statuses by name, as the rest of the code imports them.
DRAFT = ObservationStatus.DRAFT
SUBMITTED = ObservationStatus.SUBMITTED
TRIAGED = ObservationStatus.TRIAGED
DECLINED = ObservationStatus.DECLINED
STATUSES = (DRAFT, SUBMITTED, TRIAGED, DECLINED)
STATUS_LABELS: dict[str, str] = {DRAFT: "Draft", SUBMITTED: "Submitted", TRIAGED: "Triaged", DECLINED: "Declined"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Observation(Model):
    """One structured note from one shift, by the person who worked it.

    A draft may be incomplete; submitting checks every required field. The
    author edits it until an owner triages it. ``andon`` is set when it is
    submitted with severity 5 or as a safety observation: the area's owners
    are alerted at once and it tops their queue.
    """

    __tablename__ = "observation"
    __table_args__ = (
        sa.CheckConstraint(_in("status", STATUSES), name="known_status"),
        sa.CheckConstraint(f"kind IS NULL OR {_in('kind', KINDS)}", name="known_kind"),
        sa.CheckConstraint(f"waste IS NULL OR {_in('waste', tuple(WASTES))}", name="known_waste"),
        sa.CheckConstraint(f"frequency IS NULL OR {_in('frequency', tuple(FREQUENCIES))}", name="known_frequency"),
        sa.CheckConstraint(f"cause IS NULL OR {_in('cause', tuple(CAUSES))}", name="known_cause"),
        sa.CheckConstraint("severity IS NULL OR severity BETWEEN 1 AND 5", name="severity_1_to_5"),
        sa.CheckConstraint("customer_minutes IS NULL OR customer_minutes >= 0", name="minutes_not_negative"),
        sa.CheckConstraint("verdict IS NULL OR verdict IN ('fixed', 'still_broken')", name="known_verdict"),
        sa.CheckConstraint("status != 'triaged' OR problem_id IS NOT NULL", name="triaged_has_problem"),
        sa.CheckConstraint("status = 'draft' OR (area_id IS NOT NULL AND kind IS NOT NULL AND severity IS NOT NULL)",
                           name="submitted_is_complete"),
        sa.Index("ix_observation_author_status", "author_id", "status"),
        sa.Index("ix_observation_area_status", "area_id", "status"),
        sa.UniqueConstraint("author_id", "device_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_area.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(sa.String(20), default=DRAFT)
    kind: Mapped[str | None] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_driver: Mapped[str | None] = mapped_column(sa.String(300))
    waste: Mapped[str | None] = mapped_column(sa.String(20))
    what_happened: Mapped[str] = mapped_column(sa.Text, default="")
    customer_minutes: Mapped[int | None]
    customer_visible: Mapped[bool | None]
    frequency: Mapped[str | None] = mapped_column(sa.String(20))
    severity: Mapped[int | None]
    why_1: Mapped[str | None] = mapped_column(sa.Text)
    why_2: Mapped[str | None] = mapped_column(sa.Text)
    why_3: Mapped[str | None] = mapped_column(sa.Text)
    why_4: Mapped[str | None] = mapped_column(sa.Text)
    why_5: Mapped[str | None] = mapped_column(sa.Text)
    cause: Mapped[str | None] = mapped_column(sa.String(20))
    suggested_fix: Mapped[str | None] = mapped_column(sa.Text)
    frontline_quote: Mapped[str | None] = mapped_column(sa.Text)
    reference_numbers: Mapped[str | None] = mapped_column(sa.Text)  # order or ticket numbers
    andon: Mapped[bool] = mapped_column(default=False)
    # The key a phone gave it when it was begun without signal: sent again, it finds this one instead of a second.
    device_key: Mapped[str | None] = mapped_column(sa.String(64))
    # Why an owner declined it; the author reads it.
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The problem an owner linked it to at triage.
    problem_id: Mapped[int | None] = mapped_column(sa.ForeignKey("problem.id", ondelete="RESTRICT"), index=True)
    # Filed to verify a problem's fix: which problem, and whether it is fixed or still broken.
    verifies_problem_id: Mapped[int | None] = mapped_column(sa.ForeignKey("problem.id", ondelete="SET NULL"))
    verdict: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignment: Mapped[Assignment] = relationship(lazy="raise_on_sql")
    author: Mapped[Person] = relationship(lazy="raise_on_sql")
    area: Mapped[ProcessArea | None] = relationship(lazy="raise_on_sql")

    @property
    def whys(self) -> list[str]:
        return [why for why in (self.why_1, self.why_2, self.why_3, self.why_4, self.why_5) if why]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind or "", "")


class Second(Model):
    """ "Me too": another person saw the same thing on their own shift, perhaps with their own evidence."""

    __tablename__ = "observation_second"
    __table_args__ = (sa.UniqueConstraint("observation_id", "person_id", name="uq_second_once_per_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(sa.ForeignKey("observation.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id", ondelete="CASCADE"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(lazy="raise_on_sql")


class WindowExtension(Model):
    """HR lets the person file observations for one shift until a later day than the usual window."""

    __tablename__ = "observation_window"

    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id", ondelete="CASCADE"),
                                               primary_key=True)
    until: Mapped[date]
    granted_by: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evidence(Model):
    """One photo or file attached to an observation, or to a "me too" second of it.

    The bytes live in the evidence folder (``ROTATION_EVIDENCE_DIR``, outside the
    web root) under ``storage_key``, a random name; photos are stored re-encoded,
    without their metadata (location, camera, time). ``filename`` is the
    uploader's name for it, shown and used for downloads only.
    """

    __tablename__ = "evidence"
    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(sa.ForeignKey("observation.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[int | None] = mapped_column(sa.ForeignKey("observation_second.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
