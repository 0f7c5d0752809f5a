"""Index a year's proposed moves and withdrawals: HR's plan page lists and counts them among all the year's shifts

Revision ID: 7f3a9d2c5b81
Revises: c4e8a1f05b39
Create Date: 2026-12-04 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7f3a9d2c5b81'
down_revision = 'c4e8a1f05b39'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_year_proposal', ['year'], unique=False,
                              sqlite_where=sa.text('proposal IS NOT NULL'),
                              postgresql_where=sa.text('proposal IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_year_proposal', sqlite_where=sa.text('proposal IS NOT NULL'),
                            postgresql_where=sa.text('proposal IS NOT NULL'))
