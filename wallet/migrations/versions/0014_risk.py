"""risk control (issue 24): risk_holds (payments held for review), risk_prefs (anti-theft settings),
risk_decisions (every decision of the risk engine, with the rules
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
    op.create_table(
        'risk_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('recipient_id', sa.BigInteger(), nullable=True),
        sa.Column('op_key', sa.String(length=255), nullable=False),
        sa.Column('request', sa.Text(), nullable=False),
        sa.Column('escrow_account_id', sa.Integer(), nullable=False),
        sa.Column('decision_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), server_default='held', nullable=False),
        sa.Column('created_at', wallet.models.UTCDateTime(), nullable=False),
        sa.Column('resolved_at', wallet.models.UTCDateTime(), nullable=True),
        sa.Column('resolved_by', sa.BigInteger(), nullable=True),
        sa.Column('result', sa.Text(), nullable=True),
        sa.CheckConstraint('amount > 0', name=op.f('ck_risk_holds_amount_pos')),
        sa.CheckConstraint("status IN ('held', 'released', 'returned')", name=op.f('ck_risk_holds_status')),
        sa.CheckConstraint("(status = 'held') = (resolved_at IS NULL)", name=op.f('ck_risk_holds_resolved')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_risk_holds_user_id_users')),
        sa.ForeignKeyConstraint(['escrow_account_id'], ['accounts.id'],
                                name=op.f('fk_risk_holds_escrow_account_id_accounts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_holds')),
        sa.UniqueConstraint('op_key', name=op.f('uq_risk_holds_op_key')),
    )
    op.create_index('ix_risk_holds_held', 'risk_holds', ['user_id'], sqlite_where=sa.text("status = 'held'"),
                    postgresql_where=sa.text("status = 'held'"))
    op.create_table(
        'risk_prefs',
        sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('sms_above', sa.BigInteger(), nullable=True),
        sa.Column('night_lock', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('new_recipient_delay_above', sa.BigInteger(), nullable=True),
        sa.Column('no_pin_max', sa.BigInteger(), nullable=True),
        sa.Column('no_pin_daily', sa.BigInteger(), nullable=True),
        sa.Column('updated_at', wallet.models.UTCDateTime(), nullable=False),
        sa.CheckConstraint('sms_above IS NULL OR sms_above >= 0', name=op.f('ck_risk_prefs_sms_above_nonneg')),
        sa.CheckConstraint('new_recipient_delay_above IS NULL OR new_recipient_delay_above >= 0',
                           name=op.f('ck_risk_prefs_delay_nonneg')),
        sa.CheckConstraint('(no_pin_max IS NULL) = (no_pin_daily IS NULL)', name=op.f('ck_risk_prefs_no_pin_both')),
        sa.CheckConstraint('no_pin_max IS NULL OR (no_pin_max > 0 AND no_pin_daily >= no_pin_max)',
                           name=op.f('ck_risk_prefs_no_pin_amounts')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_risk_prefs_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_risk_prefs')),
    )


def downgrade() -> None:
    op.drop_table('risk_prefs')
    op.drop_index('ix_risk_holds_held', table_name='risk_holds')
    op.drop_table('risk_holds')
    op.drop_index('ix_risk_decisions_user_created', table_name='risk_decisions')
    op.drop_table('risk_decisions')
    op.drop_index('ix_red_packets_chat_created', table_name='red_packets')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('pin_right_after_wrong_at')
        batch.drop_column('pin_wrong_before_right')
