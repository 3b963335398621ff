"""idempotency keys scoped per person and operation (key columns widened to 255); PIN checks
in flight counted (users.pin_inflight, pin_inflight_at)

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-01 22:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import wallet.models


revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None

_COLUMNS = (("operations", "key", False), ("journal", "idem_key", False), ("bank_ops", "key", False))


def upgrade() -> None:
    for table, column, nullable in _COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=160), type_=sa.String(length=255),
                                  existing_nullable=nullable)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_inflight', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pin_inflight_at', wallet.models.UTCDateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_users_pin_inflight_nonneg'), 'pin_inflight >= 0')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_pin_inflight_nonneg'), type_='check')
        batch_op.drop_column('pin_inflight_at')
        batch_op.drop_column('pin_inflight')
    for table, column, nullable in _COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=255), type_=sa.String(length=160),
                                  existing_nullable=nullable)
