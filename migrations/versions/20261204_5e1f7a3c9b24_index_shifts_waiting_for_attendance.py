"""Index the shifts waiting for their attendance by slot, and the slots by their start (HR's attendance list)

Revision ID: 5e1f7a3c9b24
Revises: 7f3a9d2c5b81
Create Date: 2026-12-04 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f7a3c9b24'
down_revision = '7f3a9d2c5b81'
branch_labels = None
depends_on = None

WAITING = "status IN ('published', 'confirmed')"


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_waiting', ['slot_id', 'kind'], unique=False,
                              sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.create_index('ix_slot_starts_at', ['starts_at'], unique=False)


def downgrade():
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_index('ix_slot_starts_at')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_waiting', sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
