"""Index a person's shifts: My rotation and the feed read them by person and year

Revision ID: 8e2b6c1d4f70
Revises: 3a7d2f9c6e15
Create Date: 2026-12-04 01:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8e2b6c1d4f70'
down_revision = '3a7d2f9c6e15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_person_year', ['person_id', 'year'], unique=False)


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_person_year')
