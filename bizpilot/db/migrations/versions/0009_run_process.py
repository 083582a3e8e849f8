"""run_process: model and import runs record the process that runs them, so a run whose process is gone (killed
mid-way) is marked interrupted at the next start instead of staying "running"

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('model_runs') as batch_op:
        batch_op.add_column(sa.Column('process', sa.String(length=128), nullable=True))
    with op.batch_alter_table('import_runs') as batch_op:
        batch_op.add_column(sa.Column('process', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_runs') as batch_op:
        batch_op.drop_column('process')
    with op.batch_alter_table('model_runs') as batch_op:
        batch_op.drop_column('process')
