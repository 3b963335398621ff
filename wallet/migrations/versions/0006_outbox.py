"""outbox: notices written in the same transaction as the money event they follow

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:20:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import wallet.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('msgid', sa.String(length=64), nullable=False),
        sa.Column('params', sa.Text(), server_default='{}', nullable=False),
        sa.Column('status', sa.String(length=8), server_default='pending', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('not_before', wallet.models.UTCDateTime(), nullable=False),
        sa.Column('claimed_until', wallet.models.UTCDateTime(), nullable=True),
        sa.Column('created_at', wallet.models.UTCDateTime(), nullable=False),
        sa.Column('sent_at', wallet.models.UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('key', name=op.f('uq_outbox_key')),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'not_before'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')
    op.drop_table('outbox')
