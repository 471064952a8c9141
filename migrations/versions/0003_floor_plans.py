"""floor plans: one plan image per hub, and where its spaces are on it

The image is stored in the database (not on disk) so that every web worker on
every machine serves the same file.

Revision ID: 0003_floor_plans
Revises: 0002_bookings
Create Date: 2026-11-24 03:43:27.437392

"""
from alembic import op
import sqlalchemy as sa

import hub.database


# revision identifiers, used by Alembic.
revision = '0003_floor_plans'
down_revision = '0002_bookings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('floor_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("content_type IN ('image/png', 'image/svg+xml')", name=op.f('ck_floor_plans_known_content_type')),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_floor_plans_size_positive')),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_floor_plans_hub_id_hubs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_plans')),
    sa.UniqueConstraint('hub_id', name=op.f('uq_floor_plans_hub_id'))
    )
    op.create_table('space_positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('floor_plan_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('x_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('y_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.CheckConstraint('x_percent >= 0 AND x_percent <= 100', name=op.f('ck_space_positions_x_in_range')),
    sa.CheckConstraint('y_percent >= 0 AND y_percent <= 100', name=op.f('ck_space_positions_y_in_range')),
    sa.ForeignKeyConstraint(['floor_plan_id'], ['floor_plans.id'], name=op.f('fk_space_positions_floor_plan_id_floor_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_space_positions_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space_positions')),
    sa.UniqueConstraint('space_id', name=op.f('uq_space_positions_space_id'))
    )
    with op.batch_alter_table('space_positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_space_positions_floor_plan_id'), ['floor_plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('space_positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_space_positions_floor_plan_id'))

    op.drop_table('space_positions')
    op.drop_table('floor_plans')
