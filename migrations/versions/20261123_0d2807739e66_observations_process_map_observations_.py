"""Observations: process map, observations, seconds, evidence

Revision ID: 0d2807739e66
Revises: 3e3743cc7642
Create Date: 2026-11-23 14:55:46.065347

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0d2807739e66'
down_revision = '3e3743cc7642'
branch_labels = None
depends_on = None

OLD_PURPOSES = ("purpose IN ('invitation', 'cancellation', 'set_password', 'reset_password', 'reminder', "
                "'change_outcome', 'attendance', 'no_show')")
NEW_PURPOSES = ("purpose IN ('invitation', 'cancellation', 'set_password', 'reset_password', 'reminder', "
                "'change_outcome', 'attendance', 'no_show', 'andon')")


def _purposes(check: str) -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_message_known_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_message_known_purpose'), sa.text(check))


def upgrade():
    op.create_table('process_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id != id', name=op.f('ck_process_area_not_its_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['process_area.id'], name=op.f('fk_process_area_parent_id_process_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_area')),
    sa.UniqueConstraint('parent_id', 'name', name='uq_process_area_sibling_name')
    )
    with op.batch_alter_table('process_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_area_parent_id'), ['parent_id'], unique=False)

    op.create_table('area_owner',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['process_area.id'], name=op.f('fk_area_owner_area_id_process_area'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_area_owner_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', 'user_id', name=op.f('pk_area_owner'))
    )
    with op.batch_alter_table('area_owner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_owner_user_id'), ['user_id'], unique=False)

    op.create_table('observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('contact_driver', sa.String(length=300), nullable=True),
    sa.Column('waste', sa.String(length=20), nullable=True),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('customer_minutes', sa.Integer(), nullable=True),
    sa.Column('customer_visible', sa.Boolean(), nullable=True),
    sa.Column('frequency', sa.String(length=20), nullable=True),
    sa.Column('severity', sa.Integer(), nullable=True),
    sa.Column('why_1', sa.Text(), nullable=True),
    sa.Column('why_2', sa.Text(), nullable=True),
    sa.Column('why_3', sa.Text(), nullable=True),
    sa.Column('why_4', sa.Text(), nullable=True),
    sa.Column('why_5', sa.Text(), nullable=True),
    sa.Column('cause', sa.String(length=20), nullable=True),
    sa.Column('suggested_fix', sa.Text(), nullable=True),
    sa.Column('frontline_quote', sa.Text(), nullable=True),
    sa.Column('reference_numbers', sa.Text(), nullable=True),
    sa.Column('andon', sa.Boolean(), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("cause IS NULL OR cause IN ('method', 'machine', 'material', 'measurement', 'environment', 'policy', 'training', 'unknown')", name=op.f('ck_observation_known_cause')),
    sa.CheckConstraint("frequency IS NULL OR frequency IN ('first_time', 'monthly', 'weekly', 'daily', 'hourly')", name=op.f('ck_observation_known_frequency')),
    sa.CheckConstraint("kind IS NULL OR kind IN ('contact', 'waste', 'defect', 'safety', 'blocked', 'good_practice')", name=op.f('ck_observation_known_kind')),
    sa.CheckConstraint("status = 'draft' OR (area_id IS NOT NULL AND kind IS NOT NULL AND severity IS NOT NULL)", name=op.f('ck_observation_submitted_is_complete')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'triaged', 'declined')", name=op.f('ck_observation_known_status')),
    sa.CheckConstraint("waste IS NULL OR waste IN ('transport', 'inventory', 'motion', 'waiting', 'overproduction', 'overprocessing', 'defects', 'skills')", name=op.f('ck_observation_known_waste')),
    sa.CheckConstraint('customer_minutes IS NULL OR customer_minutes >= 0', name=op.f('ck_observation_minutes_not_negative')),
    sa.CheckConstraint('severity IS NULL OR severity BETWEEN 1 AND 5', name=op.f('ck_observation_severity_1_to_5')),
    sa.ForeignKeyConstraint(['area_id'], ['process_area.id'], name=op.f('fk_observation_area_id_process_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_observation_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_observation_author_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation'))
    )
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.create_index('ix_observation_area_status', ['area_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_observation_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index('ix_observation_author_status', ['author_id', 'status'], unique=False)

    op.create_table('observation_window',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('granted_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_observation_window_assignment_id_assignment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_observation_window'))
    )
    op.create_table('observation_second',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_observation_second_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['observation_id'], ['observation.id'], name=op.f('fk_observation_second_observation_id_observation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_observation_second_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation_second')),
    sa.UniqueConstraint('observation_id', 'person_id', name='uq_second_once_per_person')
    )
    with op.batch_alter_table('observation_second', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observation_second_observation_id'), ['observation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observation_second_person_id'), ['person_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observation_id', sa.Integer(), nullable=False),
    sa.Column('second_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_evidence_not_empty')),
    sa.ForeignKeyConstraint(['observation_id'], ['observation.id'], name=op.f('fk_evidence_observation_id_observation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_id'], ['observation_second.id'], name=op.f('fk_evidence_second_id_observation_second'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['person.id'], name=op.f('fk_evidence_uploaded_by_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_evidence_storage_key'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_observation_id'), ['observation_id'], unique=False)


    _purposes(NEW_PURPOSES)


def downgrade():
    _purposes(OLD_PURPOSES)
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_observation_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('observation_second', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observation_second_person_id'))
        batch_op.drop_index(batch_op.f('ix_observation_second_observation_id'))

    op.drop_table('observation_second')
    op.drop_table('observation_window')
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_author_status')
        batch_op.drop_index(batch_op.f('ix_observation_assignment_id'))
        batch_op.drop_index('ix_observation_area_status')

    op.drop_table('observation')
    with op.batch_alter_table('area_owner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_owner_user_id'))

    op.drop_table('area_owner')
    with op.batch_alter_table('process_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_area_parent_id'))

    op.drop_table('process_area')
