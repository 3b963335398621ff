"""risk control (issue 24): risk_decisions (every decision of the risk engine, with the rules
that fired and their inputs), users.pin_wrong_before_right / pin_right_after_wrong_at (the
latest right PIN that ended a run of wrong tries), and an index on a group's red packets by time

Columns are added without a table rebuild (nullable, or NOT NULL with a constant default), so on
PostgreSQL neither users nor red_packets is rewritten; the new index is built in the migration's
transaction (red_packets is locked against writes for one scan of the table).

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet.models

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('pin_wrong_before_right', sa.Integer(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('pin_right_after_wrong_at', wallet.models.UTCDateTime(), nullable=True))
    op.create_index('ix_red_packets_chat_created', 'red_packets', ['chat_id', 'created_at'])
    op.create_table(
        'risk_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('fired', sa.Text(), server_default='[]', nullable=False),
        sa.Column('op_key', sa.String(length=255), nullable=True),
        sa.Column('pin_waived', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('created_at', wallet.models.UTCDateTime(), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('ck_risk_decisions_amount_pos')),
        sa.CheckConstraint('score >= 0', name=op.f('ck_risk_decisions_score_nonneg')),
        sa.CheckConstraint("action IN ('allow', 'ask', 'hold', 'refuse', 'freeze')",
                           name=op.f('ck_risk_decisions_action')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_decisions')),
    )
    op.create_index('ix_risk_decisions_user_created', 'risk_decisions', ['user_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_risk_decisions_user_created', table_name='risk_decisions')
    op.drop_table('risk_decisions')
    op.drop_index('ix_red_packets_chat_created', table_name='red_packets')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('pin_right_after_wrong_at')
        batch.drop_column('pin_wrong_before_right')
