"""Change requests, reminders, attendance and in-app notifications

Revision ID: 3e3743cc7642
Revises: 5021c0464c63
Create Date: 2026-11-23 14:38:10.542246

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e3743cc7642'
down_revision = '5021c0464c63'
branch_labels = None
depends_on = None

OLD_PURPOSES = "purpose IN ('invitation', 'cancellation', 'set_password', 'reset_password')"
NEW_PURPOSES = ("purpose IN ('invitation', 'cancellation', 'set_password', 'reset_password', 'reminder', "
                "'change_outcome', 'attendance', 'no_show')")


def upgrade():
    op.create_table('attendance_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_attendance_link_slot_id_slot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_link')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_attendance_link_secret_hash')),
    sa.UniqueConstraint('slot_id', name=op.f('uq_attendance_link_slot_id'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_notification_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_person_created', ['person_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notification_unread', ['person_id'], unique=False, sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))

    op.create_table('change_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('wanted_slot_id', sa.Integer(), nullable=True),
    sa.Column('from_slot_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=254), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('moved_to_slot_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status != 'approved' OR moved_to_slot_id IS NOT NULL", name=op.f('ck_change_request_approved_has_slot')),
    sa.CheckConstraint("status != 'declined' OR decision_note IS NOT NULL", name=op.f('ck_change_request_declined_has_reason')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'declined', 'withdrawn')", name=op.f('ck_change_request_known_status')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_change_request_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_slot_id'], ['slot.id'], name=op.f('fk_change_request_from_slot_id_slot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['moved_to_slot_id'], ['slot.id'], name=op.f('fk_change_request_moved_to_slot_id_slot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['wanted_slot_id'], ['slot.id'], name=op.f('fk_change_request_wanted_slot_id_slot'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_request'))
    )
    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_request_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index('ix_change_request_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('uq_change_request_pending', ['assignment_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance_by', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('attendance_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days', sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f('ck_outbox_message_known_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_message_known_purpose'), sa.text(NEW_PURPOSES))
        batch_op.create_check_constraint(
            op.f('ck_outbox_message_reminder_has_days'),
            sa.text("reminder_days IS NULL OR (purpose = 'reminder' AND reminder_days > 0)"))
        batch_op.create_index('uq_outbox_message_reminder', ['assignment_id', 'sequence', 'reminder_days'], unique=True, sqlite_where=sa.text('reminder_days IS NOT NULL'), postgresql_where=sa.text('reminder_days IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('uq_outbox_message_reminder', sqlite_where=sa.text('reminder_days IS NOT NULL'), postgresql_where=sa.text('reminder_days IS NOT NULL'))
        batch_op.drop_constraint(op.f('ck_outbox_message_reminder_has_days'), type_='check')
        batch_op.drop_column('reminder_days')
        batch_op.drop_constraint(op.f('ck_outbox_message_known_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_message_known_purpose'), sa.text(OLD_PURPOSES))

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('attendance_at')
        batch_op.drop_column('attendance_by')

    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.drop_index('uq_change_request_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_change_request_status_created')
        batch_op.drop_index(batch_op.f('ix_change_request_assignment_id'))

    op.drop_table('change_request')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_unread', sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
        batch_op.drop_index('ix_notification_person_created')

    op.drop_table('notification')
    op.drop_table('attendance_link')
