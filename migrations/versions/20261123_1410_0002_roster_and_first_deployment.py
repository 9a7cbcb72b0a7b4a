"""roster and first deployment

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:10:43.156000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_app.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roster_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('context_pk', sa.Integer(), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['context_pk'], ['contexts.id'], name=op.f('fk_roster_members_context_pk_contexts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_members')),
    sa.UniqueConstraint('context_pk', 'sub', name=op.f('uq_roster_members_context_pk_sub'))
    )
    with op.batch_alter_table('contexts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('memberships_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('roster_requested_at', lti_app.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('roster_fetched_at', lti_app.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('roster_error', sa.Text(), nullable=True))

    with op.batch_alter_table('platforms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting_first_deployment', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('platforms', schema=None) as batch_op:
        batch_op.drop_column('awaiting_first_deployment')

    with op.batch_alter_table('contexts', schema=None) as batch_op:
        batch_op.drop_column('roster_error')
        batch_op.drop_column('roster_fetched_at')
        batch_op.drop_column('roster_requested_at')
        batch_op.drop_column('memberships_url')

    op.drop_table('roster_members')
