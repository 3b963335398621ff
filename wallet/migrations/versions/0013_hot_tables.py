"""the hot tables of a transfer, lighter (issue 13; measured in bench/REPORT.md, "Schema for the
hot tables"): entries without foreign keys

- entries: no foreign keys. Entries are append-only and written only by the ledger
  (wallet.ledger, the transfer fast path's statements) with the ids of the journal row it has
  just written and of accounts it has just locked. Their two checks per entry row were four of
  the seven foreign-key checks of a send and all four of an accept. Audit check 11 reports an entry whose transaction or account
  does not exist. On SQLite too (the table is rebuilt): the models are the same on both.

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entries') as batch:
        batch.drop_constraint('fk_entries_tx_id_journal', type_='foreignkey')
        batch.drop_constraint('fk_entries_account_id_accounts', type_='foreignkey')


def downgrade() -> None:
    # fails while an orphan entry exists (audit check 11 names it): nothing is thrown away
    with op.batch_alter_table('entries') as batch:
        batch.create_foreign_key('fk_entries_tx_id_journal', 'journal', ['tx_id'], ['id'])
        batch.create_foreign_key('fk_entries_account_id_accounts', 'accounts', ['account_id'], ['id'])
