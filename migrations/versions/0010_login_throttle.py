"""login attempts for throttling

Revision ID: 0010_login_throttle
Revises: 0009_mail_outbox
Create Date: 2026-11-24 12:40:00

"""
from alembic import op
import sqlalchemy as sa

import hub.database


# revision identifiers, used by Alembic.
revision = '0010_login_throttle'
down_revision = '0009_mail_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('login', 'reset', name='attempt_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('created_at', hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempts_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_login_attempts_kind_address_created_at', ['kind', 'address', 'created_at'], unique=False)
        batch_op.create_index('ix_login_attempts_kind_email_created_at', ['kind', 'email', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_kind_email_created_at')
        batch_op.drop_index('ix_login_attempts_kind_address_created_at')
        batch_op.drop_index(batch_op.f('ix_login_attempts_created_at'))

    op.drop_table('login_attempts')
