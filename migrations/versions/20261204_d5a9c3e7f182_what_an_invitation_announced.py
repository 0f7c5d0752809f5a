"""What a sent invitation announced: the shift in words, so that an update can say what moved from what

Revision ID: d5a9c3e7f182
Revises: 900d947d0ddc
Create Date: 2026-12-04 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5a9c3e7f182'
down_revision = '900d947d0ddc'
branch_labels = None
depends_on = None


def upgrade():
    # Invitations sent before this have nothing recorded: their updates say what the shift is, not what moved.
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announced', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('announced')
