"""scheduler lock and heartbeat

Revision ID: 0008_operations
Revises: 0007_calendar
Create Date: 2026-11-24 12:40:00

"""
from alembic import op
import sqlalchemy as sa

import hub.database


# revision identifiers, used by Alembic.
revision = '0008_operations'
down_revision = '0007_calendar'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_locks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=255), nullable=False),
    sa.Column('acquired_at', hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', hub.database.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_locks'))
    )


def downgrade():
    op.drop_table('scheduler_locks')
