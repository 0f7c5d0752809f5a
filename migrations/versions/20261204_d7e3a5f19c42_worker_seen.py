"""The last time a background worker was at work, so the outbox can tell HR when nothing sends the mail

Revision ID: d7e3a5f19c42
Revises: d5a9c3e7f182
Create Date: 2026-12-04 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e3a5f19c42'
down_revision = 'd5a9c3e7f182'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worker_seen',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_worker_seen_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_seen'))
    )


def downgrade():
    op.drop_table('worker_seen')
