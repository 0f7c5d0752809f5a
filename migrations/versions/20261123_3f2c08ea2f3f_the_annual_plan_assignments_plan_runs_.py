"""The annual plan: assignments, plan runs and unplaced shifts

Revision ID: 3f2c08ea2f3f
Revises: e4fc18fde7de
Create Date: 2026-11-23 11:55:32.676756

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f2c08ea2f3f'
down_revision = 'e4fc18fde7de'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('steps', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('customer_service', sa.Integer(), nullable=False),
    sa.Column('warehouse', sa.Integer(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('moved', sa.Integer(), nullable=False),
    sa.Column('placed', sa.Integer(), nullable=False),
    sa.Column('withdrawn', sa.Integer(), nullable=False),
    sa.Column('unplaced', sa.Integer(), nullable=False),
    sa.Column('objective', sa.BigInteger(), nullable=False),
    sa.Column('lower_bound', sa.BigInteger(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'finished', 'failed')", name=op.f('ck_plan_run_known_status')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_plan_run_published_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_plan_run_started_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_run'))
    )
    with op.batch_alter_table('plan_run', schema=None) as batch_op:
        batch_op.create_index('ix_plan_run_year_started', ['year', 'started_at'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=80), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('proposal', sa.String(length=20), nullable=True),
    sa.Column('proposed_slot_id', sa.Integer(), nullable=True),
    sa.Column('needs_replan', sa.Boolean(), nullable=False),
    sa.Column('notice', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('customer_service', 'warehouse')", name=op.f('ck_assignment_known_kind')),
    sa.CheckConstraint("notice IS NULL OR notice IN ('request', 'cancel')", name=op.f('ck_assignment_known_notice')),
    sa.CheckConstraint("proposal IS NULL OR proposal IN ('move', 'withdraw')", name=op.f('ck_assignment_known_proposal')),
    sa.CheckConstraint("proposed_slot_id IS NULL OR proposal = 'move'", name=op.f('ck_assignment_move_has_slot')),
    sa.CheckConstraint("status IN ('draft', 'published', 'confirmed', 'completed', 'no_show', 'cancelled')", name=op.f('ck_assignment_known_status')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_assignment_sequence_not_negative')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_assignment_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_slot_id'], ['slot.id'], name=op.f('fk_assignment_proposed_slot_id_slot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_assignment_slot_id_slot'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('uid', name=op.f('uq_assignment_uid'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_proposed_slot', ['proposed_slot_id'], unique=False)
        batch_op.create_index('ix_assignment_slot', ['slot_id'], unique=False)
        batch_op.create_index('ix_assignment_year_status', ['year', 'status'], unique=False)
        batch_op.create_index('uq_assignment_person_year_kind', ['person_id', 'year', 'kind'], unique=True, sqlite_where=sa.text("status NOT IN ('cancelled', 'no_show')"), postgresql_where=sa.text("status NOT IN ('cancelled', 'no_show')"))

    op.create_table('unplaced_shift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_run_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('customer_service', 'warehouse')", name=op.f('ck_unplaced_shift_known_kind')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_unplaced_shift_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_run_id'], ['plan_run.id'], name=op.f('fk_unplaced_shift_plan_run_id_plan_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unplaced_shift')),
    sa.UniqueConstraint('plan_run_id', 'person_id', 'kind', name='uq_unplaced_shift_run_person_kind')
    )
    with op.batch_alter_table('unplaced_shift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unplaced_shift_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('unplaced_shift', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unplaced_shift_person_id'))

    op.drop_table('unplaced_shift')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('uq_assignment_person_year_kind', sqlite_where=sa.text("status NOT IN ('cancelled', 'no_show')"), postgresql_where=sa.text("status NOT IN ('cancelled', 'no_show')"))
        batch_op.drop_index('ix_assignment_year_status')
        batch_op.drop_index('ix_assignment_slot')
        batch_op.drop_index('ix_assignment_proposed_slot')

    op.drop_table('assignment')
    with op.batch_alter_table('plan_run', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_run_year_started')

    op.drop_table('plan_run')
