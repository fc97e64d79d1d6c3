"""provider vetting history and evaluations: who changed a provider's status, when and why; term evaluations

Revision ID: eb4d15f926f8
Revises: 3c772be24202
Create Date: 2026-11-23 17:06:41.478482

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'eb4d15f926f8'
down_revision = '3c772be24202'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('provider_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('term_name', sa.String(length=60), nullable=False),
    sa.Column('rating', sa.Enum('excellent', 'pass', 'fail', name='evaluationrating', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('evaluated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating IS NOT NULL OR score IS NOT NULL', name=op.f('ck_provider_evaluation_rating_or_score')),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 100)', name=op.f('ck_provider_evaluation_score_range')),
    sa.ForeignKeyConstraint(['evaluated_by_id'], ['user.id'], name=op.f('fk_provider_evaluation_evaluated_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_evaluation_provider_id_provider'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_evaluation')),
    sa.UniqueConstraint('provider_id', 'term_name', name=op.f('uq_provider_evaluation_provider_id_term_name'))
    )
    with op.batch_alter_table('provider_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_evaluation_provider_id'), ['provider_id'], unique=False)

    op.create_table('provider_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('apply', 'approve', 'renew', 'suspend', 'exit', name='vettingaction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('from_status', sa.Enum('applied', 'active', 'suspended', 'exited', name='from_status', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('to_status', sa.Enum('applied', 'active', 'suspended', 'exited', name='to_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('vetted_until', sa.Date(), nullable=True),
    sa.Column('reason_category', sa.Enum('evaluation', 'safety', 'qualification', 'fees', 'subject_training', 'request', 'other', name='reasoncategory', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_provider_status_change_changed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_status_change_provider_id_provider'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_status_change'))
    )
    with op.batch_alter_table('provider_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_status_change_provider_id'), ['provider_id'], unique=False)



def downgrade():
    with op.batch_alter_table('provider_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_status_change_provider_id'))

    op.drop_table('provider_status_change')
    with op.batch_alter_table('provider_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_evaluation_provider_id'))

    op.drop_table('provider_evaluation')
