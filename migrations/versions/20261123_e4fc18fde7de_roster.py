"""The roster: sites, their slots, people, blackouts, and uploads awaiting confirmation.

Revision ID: e4fc18fde7de
Revises: 74c2f7ea9ad0
Create Date: 2026-11-23 09:49:07.281093

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4fc18fde7de'
down_revision = '74c2f7ea9ad0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('shift_start', sa.Time(), nullable=True),
    sa.Column('shift_end', sa.Time(), nullable=True),
    sa.CheckConstraint("kind IN ('contact_center', 'warehouse')", name=op.f('ck_site_known_kind')),
    sa.CheckConstraint('seats > 0', name=op.f('ck_site_positive_seats')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    sa.UniqueConstraint('code', name=op.f('uq_site_code'))
    )
    op.create_table('pending_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('deactivate_missing', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_pending_import_uploaded_by_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_import'))
    )
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_import_uploaded_by_id'), ['uploaded_by_id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('department', sa.String(length=120), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('home_site_id', sa.Integer(), nullable=True),
    sa.Column('in_rotation_override', sa.Boolean(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['home_site_id'], ['site.id'], name=op.f('fk_person_home_site_id_site'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['manager_id'], ['person.id'], name=op.f('fk_person_manager_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('email', name=op.f('uq_person_email')),
    sa.UniqueConstraint('employee_id', name=op.f('uq_person_employee_id'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_full_name'), ['full_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_home_site_id'), ['home_site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_manager_id'), ['manager_id'], unique=False)

    op.create_table('slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('customer_service', 'warehouse')", name=op.f('ck_slot_known_kind')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_slot_instants_in_order')),
    sa.CheckConstraint('last_day >= first_day', name=op.f('ck_slot_days_in_order')),
    sa.CheckConstraint('seats > 0', name=op.f('ck_slot_positive_seats')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_slot_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slot')),
    sa.UniqueConstraint('site_id', 'kind', 'first_day', name='uq_slot_site_kind_day')
    )
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.create_index('ix_slot_first_day', ['first_day'], unique=False)

    op.create_table('blackout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.CheckConstraint('"end" >= start', name=op.f('ck_blackout_dates_in_order')),
    sa.CheckConstraint('person_id IS NULL OR site_id IS NULL', name=op.f('ck_blackout_one_scope')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_blackout_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_blackout_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blackout'))
    )
    with op.batch_alter_table('blackout', schema=None) as batch_op:
        batch_op.create_index('ix_blackout_dates', ['start', 'end'], unique=False)
        batch_op.create_index(batch_op.f('ix_blackout_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_blackout_site_id'), ['site_id'], unique=False)



def downgrade():
    with op.batch_alter_table('blackout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blackout_site_id'))
        batch_op.drop_index(batch_op.f('ix_blackout_person_id'))
        batch_op.drop_index('ix_blackout_dates')

    op.drop_table('blackout')
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_index('ix_slot_first_day')

    op.drop_table('slot')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_manager_id'))
        batch_op.drop_index(batch_op.f('ix_person_home_site_id'))
        batch_op.drop_index(batch_op.f('ix_person_full_name'))
        batch_op.drop_index(batch_op.f('ix_person_department'))

    op.drop_table('person')
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_import_uploaded_by_id'))

    op.drop_table('pending_import')
    op.drop_table('site')
