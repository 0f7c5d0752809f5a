"""Table versions: figures over large tables are kept until their data changes

Revision ID: 5c81d0e4b2a9
Revises: 9b1e4c2d7a60
Create Date: 2026-12-03 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c81d0e4b2a9'
down_revision = '9b1e4c2d7a60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_version',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_version'))
    )


def downgrade():
    op.drop_table('data_version')
