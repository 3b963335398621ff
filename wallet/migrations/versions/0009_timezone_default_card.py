"""a person's time zone; a default-card marker

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('timezone', sa.String(length=64), nullable=False,
                                     server_default='Asia/Shanghai'))
    op.add_column('cards', sa.Column('is_default', sa.Boolean(), nullable=False,
                                     server_default=sa.text('false')))
    op.create_index('uq_cards_user_default', 'cards', ['user_id'], unique=True,
                    sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))


def downgrade() -> None:
    op.drop_index('uq_cards_user_default', table_name='cards')
    with op.batch_alter_table('cards') as batch:
        batch.drop_column('is_default')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('timezone')
