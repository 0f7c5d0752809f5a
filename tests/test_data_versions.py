"""Kept figures are computed again exactly when a table they are made from has changed."""
from __future__ import annotations

import sqlalchemy as sa

from rotation.data_versions import kept
from rotation.extensions import db
from rotation.sites.models import Site


def counted(calls: list):
    def compute():
        calls.append(1)
        return db.session.scalar(sa.select(sa.func.count()).select_from(Site))
    return lambda: kept(("sites counted", id(calls)), ["site"], compute)


def test_a_kept_figure_is_computed_again_after_each_kind_of_write_to_its_table(app, make_site):
    calls: list = []
    sites = counted(calls)
    assert sites() == 0 and sites() == 0 and len(calls) == 1
    db.session.commit()
    assert sites() == 0 and len(calls) == 1

    make_site("AMS-CC")  # the ORM
    db.session.commit()
    assert sites() == 1 and len(calls) == 2
    db.session.commit()

    db.session.execute(sa.update(Site).values(name="Amsterdam"))  # a bulk statement
    db.session.commit()
    sites()
    assert len(calls) == 3
    db.session.commit()

    db.session.execute(sa.text("DELETE FROM site"))  # plain SQL
    db.session.commit()
    assert sites() == 0 and len(calls) == 4


def test_a_write_elsewhere_or_rolled_back_keeps_the_figure(app, make_site, make_person):
    make_site("AMS-CC")
    calls: list = []
    sites = counted(calls)
    assert sites() == 1
    db.session.commit()
    make_person("E1")  # another table
    db.session.execute(sa.text("DELETE FROM site"))
    db.session.rollback()
    assert sites() == 1 and len(calls) == 1


def test_a_transaction_that_wrote_to_the_table_sees_its_own_write(app, make_site):
    make_site("AMS-CC")
    calls: list = []
    sites = counted(calls)
    assert sites() == 1
    db.session.commit()
    db.session.execute(sa.text("DELETE FROM site"))
    assert sites() == 0 and len(calls) == 2
    db.session.rollback()
    assert sites() == 1 and len(calls) == 2
