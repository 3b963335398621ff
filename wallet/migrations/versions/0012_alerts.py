"""scheduled alerts: alerts_sent (exactly once per alert, person and period), alert_prefs,
users.pin_set_at

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet.models

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('pin_set_at', wallet.models.UTCDateTime(), nullable=True))
    op.create_table(
        'alert_prefs',
        sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('low_balance', sa.BigInteger(), nullable=True),
        sa.Column('tips', sa.String(length=8), server_default='weekly', nullable=False),
        sa.Column('quiet_start', sa.Integer(), server_default='1320', nullable=True),
        sa.Column('quiet_end', sa.Integer(), server_default='480', nullable=True),
        sa.Column('pin_age_days', sa.Integer(), server_default='180', nullable=True),
        sa.Column('last_tip', sa.Integer(), nullable=True),
        sa.CheckConstraint('low_balance IS NULL OR low_balance > 0', name=op.f('ck_alert_prefs_low_balance_pos')),
        sa.CheckConstraint("tips IN ('daily', 'weekly', 'off')", name=op.f('ck_alert_prefs_tips')),
        sa.CheckConstraint('(quiet_start IS NULL) = (quiet_end IS NULL)', name=op.f('ck_alert_prefs_quiet_pair')),
        sa.CheckConstraint('quiet_start IS NULL OR (quiet_start >= 0 AND quiet_start < 1440 AND quiet_end >= 0 '
                           'AND quiet_end < 1440)', name=op.f('ck_alert_prefs_quiet_range')),
        sa.CheckConstraint('pin_age_days IS NULL OR pin_age_days > 0', name=op.f('ck_alert_prefs_pin_age_pos')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alert_prefs_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_alert_prefs')),
    )
    op.create_table(
        'alerts_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alert', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('period', sa.String(length=40), nullable=False),
        sa.Column('sent', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('created_at', wallet.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts_sent')),
        sa.UniqueConstraint('alert', 'user_id', 'period', name='uq_alerts_sent_alert_user_period'),
    )


def downgrade() -> None:
    op.drop_table('alerts_sent')
    op.drop_table('alert_prefs')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('pin_set_at')
