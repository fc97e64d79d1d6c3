"""accounts: one-time codes that prove a mobile number

Revision ID: fa3da362a5f8
Revises: 0f5abf18ef61
Create Date: 2026-12-01 22:13:18.785274

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fa3da362a5f8'
down_revision = '0f5abf18ef61'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('one_time_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('purpose', sa.Enum('register', 'reset_password', 'change_mobile', name='codepurpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=True),
    sa.Column('password_hash', sa.String(length=256), nullable=True),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('tries >= 0', name=op.f('ck_one_time_code_tries_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_one_time_code_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_code'))
    )
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_one_time_code_mobile'), ['mobile'], unique=False)
        batch_op.create_index(batch_op.f('ix_one_time_code_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_code_user_id'))
        batch_op.drop_index(batch_op.f('ix_one_time_code_mobile'))

    op.drop_table('one_time_code')
