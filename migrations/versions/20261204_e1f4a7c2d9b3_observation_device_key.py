"""An observation begun on a phone without signal keeps the phone's key, so that sending it again finds it

Revision ID: e1f4a7c2d9b3
Revises: d7e3a5f19c42
Create Date: 2026-12-04 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f4a7c2d9b3'
down_revision = 'd7e3a5f19c42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_observation_author_id'), ['author_id', 'device_key'])


def downgrade():
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_observation_author_id'), type_='unique')
        batch_op.drop_column('device_key')
