"""What each feed link last served, and when that changed, for the feed's Last-Modified

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


def upgrade():
    op.add_column('feed_token', sa.Column('shown_etag', sa.String(length=64), nullable=True))
    op.add_column('feed_token', sa.Column('shown_changed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('feed_token', 'shown_changed_at')
    op.drop_column('feed_token', 'shown_etag')
