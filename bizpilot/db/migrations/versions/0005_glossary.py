"""glossary: the workspace's own term renderings (over the shipped defaults)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 03:03:44
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('glossary_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('en', sa.String(length=200), nullable=False),
    sa.Column('zh', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_terms')),
    sa.UniqueConstraint('kind', 'key', name=op.f('uq_glossary_terms_kind_key'))
    )


def downgrade() -> None:
    op.drop_table('glossary_terms')
