"""privacy notice versions and who accepted which

Revision ID: ab5498cdb9d4
Revises: 68b38abddfaf
Create Date: 2026-12-01 23:28:53.607404

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ab5498cdb9d4'
down_revision = '68b38abddfaf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice_acceptance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('notice_version', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notice_acceptance_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_acceptance')),
    sa.UniqueConstraint('user_id', 'notice_version', name=op.f('uq_notice_acceptance_user_id_notice_version'))
    )
    with op.batch_alter_table('notice_acceptance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_acceptance_user_id'), ['user_id'], unique=False)

    op.create_table('privacy_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_privacy_notice_published_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notice')),
    sa.UniqueConstraint('version', name=op.f('uq_privacy_notice_version'))
    )


def downgrade():
    op.drop_table('privacy_notice')
    with op.batch_alter_table('notice_acceptance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_acceptance_user_id'))

    op.drop_table('notice_acceptance')
