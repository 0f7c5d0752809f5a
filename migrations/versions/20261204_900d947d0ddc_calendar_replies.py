"""Answers to invitations and bounces read from the organizer mailbox: each message recorded once; a shift's
calendar answer; where a change request came from

Revision ID: 900d947d0ddc
Revises: d7a3f19c2e85
Create Date: 2026-12-04 10:12:09.176555

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '900d947d0ddc'
down_revision = 'd7a3f19c2e85'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('proposed_day', sa.Date(), nullable=True),
    sa.Column('change_request_id', sa.Integer(), nullable=True),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('accepted', 'declined', 'tentative', 'proposed', 'bounced', 'not_matched')", name=op.f('ck_calendar_reply_known_kind')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_calendar_reply_assignment_id_assignment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['change_request_id'], ['change_request.id'], name=op.f('fk_calendar_reply_change_request_id_change_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_message.id'], name=op.f('fk_calendar_reply_outbox_message_id_outbox_message'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_reply')),
    sa.UniqueConstraint('message_key', name=op.f('uq_calendar_reply_message_key'))
    )
    with op.batch_alter_table('calendar_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_reply_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index('ix_calendar_reply_kind_id', ['kind', 'id'], unique=False)

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('answer_sequence', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_assignment_known_answer'), "answer IS NULL OR answer IN ('accepted', 'declined', 'tentative')")

    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='app', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_change_request_known_source'), "source IN ('app', 'calendar_decline', 'calendar_counter')")



def downgrade():
    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_change_request_known_source'), type_='check')
        batch_op.drop_column('source')

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_assignment_known_answer'), type_='check')
        batch_op.drop_column('answer_sequence')
        batch_op.drop_column('answer')

    with op.batch_alter_table('calendar_reply', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_reply_kind_id')
        batch_op.drop_index(batch_op.f('ix_calendar_reply_assignment_id'))

    op.drop_table('calendar_reply')
