"""chat state of the bot (python-telegram-bot persistence)

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'chat_state',
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('updated_at', wallet.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'name', 'key', name=op.f('pk_chat_state')),
    )


def downgrade() -> None:
    op.drop_table('chat_state')
