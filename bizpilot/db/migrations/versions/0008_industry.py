"""industry classification: the workspace taxonomy (industry_labels) and people's decisions (account_industries)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 05:19:24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
                                               'postgresql')


def upgrade() -> None:
    op.create_table('industry_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('parent_key', sa.String(length=100), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('en', sa.String(length=200), nullable=False),
    sa.Column('zh', sa.String(length=200), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('description_zh', sa.Text(), nullable=True),
    sa.Column('aliases', JSON, nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_industry_labels')),
    sa.UniqueConstraint('key', name=op.f('uq_industry_labels_key'))
    )
    op.create_table('account_industries',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('sector', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.Column('predicted_label', sa.String(length=100), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('alternatives', JSON, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=128), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                            name=op.f('fk_account_industries_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_industries_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_industries'))
    )


def downgrade() -> None:
    op.drop_table('account_industries')
    op.drop_table('industry_labels')
