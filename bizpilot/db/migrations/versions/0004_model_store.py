"""model store: run health, outputs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 02:57:16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_outputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('payload', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['model_runs.id'], name=op.f('fk_model_outputs_run_id_model_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_outputs'))
    )
    with op.batch_alter_table('model_outputs', schema=None) as batch_op:
        batch_op.create_index('ix_model_outputs_lookup', ['model', 'subject', 'subject_id'], unique=False)
        batch_op.create_index('ix_model_outputs_ranked', ['model', 'subject', 'score'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_outputs_run_id'), ['run_id'], unique=False)

    with op.batch_alter_table('model_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('data_fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('trigger', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('progress', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('as_of', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('duration_s', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('health', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False, server_default=sa.text("'{}'")))



def downgrade() -> None:
    with op.batch_alter_table('model_runs', schema=None) as batch_op:
        batch_op.drop_column('health')
        batch_op.drop_column('duration_s')
        batch_op.drop_column('as_of')
        batch_op.drop_column('message')
        batch_op.drop_column('progress')
        batch_op.drop_column('trigger')
        batch_op.drop_column('data_fingerprint')
        batch_op.drop_column('format_version')

    with op.batch_alter_table('model_outputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_outputs_run_id'))
        batch_op.drop_index('ix_model_outputs_ranked')
        batch_op.drop_index('ix_model_outputs_lookup')

    op.drop_table('model_outputs')
