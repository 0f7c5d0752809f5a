"""Background jobs: plan runs and imports from the pages are done by the worker

Revision ID: 9b1e4c2d7a60
Revises: 38d3b5811810
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b1e4c2d7a60'
down_revision = '38d3b5811810'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')", name=op.f('ck_job_known_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_status_id', ['status', 'id'], unique=False)

    with op.batch_alter_table('plan_run', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_plan_run_known_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_plan_run_known_status'),
                                         sa.text("status IN ('queued', 'running', 'finished', 'failed')"))

    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='checking'))
        batch_op.add_column(sa.Column('lines', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('preview', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f('ck_pending_import_known_status'), sa.text(
            "status IN ('checking', 'checked', 'importing', 'imported', 'failed')"))
    # Uploads waiting for a confirmation were previewed in the web request; the worker checks them again.
    op.execute("INSERT INTO job (kind, subject_id, status, attempts, created_at) "
               "SELECT 'import', id, 'queued', 0, CURRENT_TIMESTAMP FROM pending_import")


def downgrade():
    op.execute("DELETE FROM pending_import WHERE status != 'checked'")
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_pending_import_known_status'), type_='check')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('outcome')
        batch_op.drop_column('preview')
        batch_op.drop_column('lines')
        batch_op.drop_column('status')

    op.execute("UPDATE plan_run SET status = 'failed', error = 'Never started: Rotation was downgraded.' "
               "WHERE status = 'queued'")
    with op.batch_alter_table('plan_run', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_plan_run_known_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_plan_run_known_status'),
                                         sa.text("status IN ('running', 'finished', 'failed')"))

    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_status_id')
    op.drop_table('job')
