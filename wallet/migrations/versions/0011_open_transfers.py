"""a transfer may have no recipient yet (an inline card: the first person to accept it)

Revision ID: 0011
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transfers') as batch:
        batch.alter_column('recipient_id', existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    # fails while a transfer without a recipient exists: nothing is thrown away
    with op.batch_alter_table('transfers') as batch:
        batch.alter_column('recipient_id', existing_type=sa.BigInteger(), nullable=False)
