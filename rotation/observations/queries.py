"""Reading observations for their pages: an author's own, an owner's areas, one with its shift, its evidence
and its "me too"s."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.observations.models import DRAFT, STATUS_LABELS, STATUSES, SUBMITTED, Evidence, Observation, Second
from rotation.people.models import Person
from rotation.people.signals import person_page
from rotation.sites.models import Slot


def observation_with_shift(observation_id: int) -> Observation | None:
    """One observation with its author and its shift (slot and site) loaded."""
    return db.session.scalar(
        sa.select(Observation).where(Observation.id == observation_id)
        .options(joinedload(Observation.author),
                 joinedload(Observation.assignment).joinedload(Assignment.slot).joinedload(Slot.site)))


def shift_with_uid(uid: str) -> Assignment | None:
    """The shift with this calendar UID (an invitation's link names it), anyone's."""
    return db.session.scalar(sa.select(Assignment).where(Assignment.uid == uid))


def authored_by(person: Person) -> sa.Select:
    """The person's observations, drafts first, then the most recently changed, with their shifts."""
    return (sa.select(Observation).where(Observation.author_id == person.id)
            .options(joinedload(Observation.assignment).joinedload(Assignment.slot).joinedload(Slot.site))
            .order_by(sa.case((Observation.status == DRAFT, 0), else_=1),
                      Observation.updated_at.desc(), Observation.id.desc()))


def seconds_by(person: Person, most: int) -> list:
    """The person's latest "me too"s with the observations they second, newest first."""
    return list(db.session.execute(
        sa.select(Second, Observation).join(Observation, Observation.id == Second.observation_id)
        .where(Second.person_id == person.id).order_by(Second.created_at.desc()).limit(most)))


def in_areas(area_ids: set[int]) -> sa.Select:
    """Submitted observations in these areas, with their authors: andon first, then untriaged, then newest."""
    return (sa.select(Observation).where(Observation.area_id.in_(area_ids), Observation.status != DRAFT)
            .options(joinedload(Observation.author))
            .order_by(Observation.andon.desc(), sa.case((Observation.status == SUBMITTED, 0), else_=1),
                      Observation.submitted_at.desc(), Observation.id.desc()))


def seconds_counted(observation_ids: list[int]) -> dict[int, int]:
    """How many "me too"s each of these observations has, in one query."""
    if not observation_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Second.observation_id, sa.func.count()).where(Second.observation_id.in_(observation_ids))
        .group_by(Second.observation_id)).tuples().all())


def evidence_of(observation: Observation, own_only: bool) -> list[Evidence]:
    """The observation's photos and files in the order added; ``own_only``: not those of its "me too"s."""
    statement = sa.select(Evidence).where(Evidence.observation_id == observation.id).order_by(Evidence.id)
    if own_only:
        statement = statement.where(Evidence.second_id.is_(None))
    return list(db.session.scalars(statement))


def seconds_of(observation: Observation) -> list:
    """``(second, person)`` for each "me too" of the observation, oldest first."""
    return list(db.session.execute(
        sa.select(Second, Person).join(Person, Person.id == Second.person_id)
        .where(Second.observation_id == observation.id).order_by(Second.created_at)))


@person_page.connect
def _observations_of(person: Person) -> dict:
    """On HR's page of a person: how many observations they filed, by status (drafts are the author's own and
    not counted); one query (index ``ix_observation_author_status``). HR does not read them (see ``access``)."""
    counts = dict(db.session.execute(
        sa.select(Observation.status, sa.func.count())
        .where(Observation.author_id == person.id, Observation.status != DRAFT)
        .group_by(Observation.status)).tuples().all())
    return {"observations": {STATUS_LABELS[status]: counts[status] for status in STATUSES if counts.get(status)}}
