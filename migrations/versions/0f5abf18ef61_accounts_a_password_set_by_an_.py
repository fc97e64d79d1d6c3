"""accounts: a password set by an administrator must be changed at first login

Revision ID: 0f5abf18ef61
Revises: 3c9f3f3ff6b8
Create Date: 2026-12-01 21:53:22.415048

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0f5abf18ef61'
down_revision = '3c9f3f3ff6b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

