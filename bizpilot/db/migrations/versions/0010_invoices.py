"""invoices: what each account was billed, when it is due and how much is paid (the payment reminder's facts)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=16, scale=4, asdecimal=False)


def upgrade() -> None:
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.Date(), nullable=False),
    sa.Column('due_at', sa.Date(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('amount_paid', MONEY, nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('payment_instructions', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('due_at >= issued_at', name=op.f('ck_invoices_due_after_issue')),
    sa.CheckConstraint('amount >= 0 AND amount_paid >= 0 AND amount_paid <= amount', name=op.f('ck_invoices_amounts')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_invoices_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invoices_order_id_orders'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('external_id', name=op.f('uq_invoices_external_id'))
    )
    op.create_index('ix_invoices_account_status_due', 'invoices', ['account_id', 'status', 'due_at'], unique=False)
    op.create_index(op.f('ix_invoices_due_at'), 'invoices', ['due_at'], unique=False)
    op.create_index(op.f('ix_invoices_order_id'), 'invoices', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_invoices_order_id'), table_name='invoices')
    op.drop_index(op.f('ix_invoices_due_at'), table_name='invoices')
    op.drop_index('ix_invoices_account_status_due', table_name='invoices')
    op.drop_table('invoices')
