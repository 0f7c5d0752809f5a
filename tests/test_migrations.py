from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rotation.extensions import db
from rotation.people.search import outside_the_models


def test_migrations_produce_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection,
                                             opts={"compare_type": True, "include_object": outside_the_models})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_and_upgrade_cleanly(app):
    from flask_migrate import downgrade, upgrade

    downgrade(revision="base")
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection,
                                             opts={"compare_type": True, "include_object": outside_the_models})
        assert compare_metadata(context, db.metadata) == []
