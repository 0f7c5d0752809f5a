"""How each person's shifts reach their calendar (e-mailed invitations, the feed, or both; e-mail for
everyone until they choose), and what each feed link last served, for its Last-Modified

Revision ID: d7a3f19c2e85
Revises: b4c8e2d61a57
Create Date: 2026-12-04 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a3f19c2e85'
down_revision = 'b4c8e2d61a57'
branch_labels = None
depends_on = None


KNOWN = "calendar_delivery IN ('email', 'feed', 'both')"


def upgrade():
    # Added in place, not through a batch copy of the table on SQLite: a copy would drop the people search's
    # triggers on ``person`` (migration 3a7d2f9c6e15). SQLite takes a column's CHECK in ADD COLUMN.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE person ADD COLUMN calendar_delivery VARCHAR(10) DEFAULT 'email' NOT NULL "
                   f"CONSTRAINT ck_person_known_calendar_delivery CHECK ({KNOWN})")
    else:
        op.add_column('person', sa.Column('calendar_delivery', sa.String(length=10), nullable=False,
                                          server_default='email'))
        op.create_check_constraint(op.f('ck_person_known_calendar_delivery'), 'person', sa.text(KNOWN))
    op.add_column('feed_token', sa.Column('shown_etag', sa.String(length=64), nullable=True))
    op.add_column('feed_token', sa.Column('shown_changed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('feed_token', 'shown_changed_at')
    op.drop_column('feed_token', 'shown_etag')
    if op.get_bind().dialect.name != "sqlite":  # SQLite drops a column's own CHECK with the column
        op.drop_constraint(op.f('ck_person_known_calendar_delivery'), 'person', type_='check')
    op.drop_column('person', 'calendar_delivery')
