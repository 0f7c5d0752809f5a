"""Problems: triage, audit trail, verification by a later shift

Revision ID: 38d3b5811810
Revises: 0d2807739e66
Create Date: 2026-11-23 15:23:48.190606

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '38d3b5811810'
down_revision = '0d2807739e66'
branch_labels = None
depends_on = None

OLD_PURPOSES = ("purpose IN ('invitation', 'cancellation', 'set_password', 'reset_password', 'reminder', "
                "'change_outcome', 'attendance', 'no_show', 'andon')")
NEW_PURPOSES = ("purpose IN ('invitation', 'cancellation', 'set_password', 'reset_password', 'reminder', "
                "'change_outcome', 'attendance', 'no_show', 'andon', 'problem_news', 'observation_declined')")


def _purposes(check: str) -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_message_known_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_message_known_purpose'), sa.text(check))


def upgrade():
    op.create_table('problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('safety', sa.Boolean(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('countermeasure', sa.Text(), nullable=True),
    sa.Column('countermeasure_type', sa.String(length=20), nullable=True),
    sa.Column('verification_metric', sa.String(length=300), nullable=True),
    sa.Column('verification_baseline', sa.String(length=100), nullable=True),
    sa.Column('verification_target', sa.String(length=100), nullable=True),
    sa.Column('verify_by', sa.Date(), nullable=True),
    sa.Column('ticket_links', sa.Text(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'duplicate') = (duplicate_of_id IS NOT NULL)", name=op.f('ck_problem_duplicate_points_on')),
    sa.CheckConstraint("countermeasure_type IS NULL OR countermeasure_type IN ('eliminate', 'automate', 'standardise', 'train', 'workaround')", name=op.f('ck_problem_known_countermeasure')),
    sa.CheckConstraint("status IN ('new', 'triaged', 'investigating', 'fix_planned', 'fix_in_place', 'verifying', 'verified', 'declined', 'duplicate')", name=op.f('ck_problem_known_status')),
    sa.CheckConstraint('duplicate_of_id IS NULL OR duplicate_of_id != id', name=op.f('ck_problem_not_its_own_duplicate')),
    sa.CheckConstraint('severity BETWEEN 1 AND 5', name=op.f('ck_problem_severity_1_to_5')),
    sa.ForeignKeyConstraint(['area_id'], ['process_area.id'], name=op.f('fk_problem_area_id_process_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['problem.id'], name=op.f('fk_problem_duplicate_of_id_problem'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_problem_owner_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem'))
    )
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.create_index('ix_problem_area_status', ['area_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_problem_owner_id'), ['owner_id'], unique=False)

    op.create_table('problem_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('what', sa.String(length=60), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_problem_event_problem_id_problem'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem_event'))
    )
    with op.batch_alter_table('problem_event', schema=None) as batch_op:
        batch_op.create_index('ix_problem_event_problem', ['problem_id', 'at'], unique=False)

    op.create_table('verification_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by_observation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_observation_id'], ['observation.id'], name=op.f('fk_verification_request_answered_by_observation_id_observation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_verification_request_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_verification_request_problem_id_problem'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_request')),
    sa.UniqueConstraint('problem_id', 'assignment_id', name='uq_verification_once_per_shift')
    )
    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_request_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_request_problem_id'), ['problem_id'], unique=False)

    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('problem_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verifies_problem_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verdict', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_observation_problem_id'), ['problem_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_observation_verifies_problem_id_problem'), 'problem', ['verifies_problem_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_observation_problem_id_problem'), 'problem', ['problem_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_check_constraint(op.f('ck_observation_known_verdict'),
                                         sa.text("verdict IS NULL OR verdict IN ('fixed', 'still_broken')"))
        batch_op.create_check_constraint(op.f('ck_observation_triaged_has_problem'),
                                         sa.text("status != 'triaged' OR problem_id IS NOT NULL"))


    _purposes(NEW_PURPOSES)


def downgrade():
    _purposes(OLD_PURPOSES)
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_observation_triaged_has_problem'), type_='check')
        batch_op.drop_constraint(op.f('ck_observation_known_verdict'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_observation_problem_id_problem'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_observation_verifies_problem_id_problem'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_observation_problem_id'))
        batch_op.drop_column('verdict')
        batch_op.drop_column('verifies_problem_id')
        batch_op.drop_column('problem_id')

    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_request_problem_id'))
        batch_op.drop_index(batch_op.f('ix_verification_request_assignment_id'))

    op.drop_table('verification_request')
    with op.batch_alter_table('problem_event', schema=None) as batch_op:
        batch_op.drop_index('ix_problem_event_problem')

    op.drop_table('problem_event')
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_owner_id'))
        batch_op.drop_index('ix_problem_area_status')

    op.drop_table('problem')
