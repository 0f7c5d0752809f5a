"""Index the outbox by status and id: HR's list reads a status tab newest first and counts the statuses

Revision ID: c4e8a1f05b39
Revises: 8e2b6c1d4f70
Create Date: 2026-12-04 02:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e8a1f05b39'
down_revision = '8e2b6c1d4f70'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_status_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_id')
