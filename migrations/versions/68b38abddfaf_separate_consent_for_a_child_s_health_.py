"""separate consent for a child's health notes

Revision ID: 68b38abddfaf
Revises: 750904fe5f64
Create Date: 2026-12-01 23:23:20.588259

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '68b38abddfaf'
down_revision = '750904fe5f64'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sensitive_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('guardian_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('notice_version', sa.Integer(), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_sensitive_consent_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['guardian_id'], ['user.id'], name=op.f('fk_sensitive_consent_guardian_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensitive_consent'))
    )
    with op.batch_alter_table('sensitive_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sensitive_consent_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sensitive_consent_guardian_id'), ['guardian_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sensitive_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sensitive_consent_guardian_id'))
        batch_op.drop_index(batch_op.f('ix_sensitive_consent_application_id'))

    op.drop_table('sensitive_consent')
