"""account deletion

Revision ID: 0012_privacy
Revises: 0011_audit_log
Create Date: 2026-11-24 12:40:00

"""
from alembic import op
import sqlalchemy as sa

import hub.database


# revision identifiers, used by Alembic.
revision = '0012_privacy'
down_revision = '0011_audit_log'
branch_labels = None
depends_on = None


def upgrade():
    # A deleted account stays as an anonymized row (statements, audit log and imports
    # point to it); deleted_at says when. See hub/accounts/privacy.py.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', hub.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
