"""the hot tables of a transfer, lighter (issue 13; measured in bench/REPORT.md, "Schema for the
hot tables"): entries without foreign keys, transfers' indexes on pending transfers only

- entries: no foreign keys. Entries are append-only and written only by the ledger
  (wallet.ledger and the fast paths' statements) with the id of the journal row it has just
  written and of accounts it has just locked. Their two checks per entry row were four of the
  seven foreign-key checks of a send and all four of an accept. Audit check 11 reports an
  entry whose transaction or account does not exist. On SQLite too (the table is rebuilt):
  the models are the same on both databases.
- transfers: the sender, recipient and (status, expiry) indexes become partial indexes on
  pending transfers (sender, recipient, expiry): every query that used them asks for pending
  transfers only (bills' balance and pending lists, the alerts, the expiry sweep, the audit).
  They stay as small as the set of pending transfers, and accepting a transfer adds no entry
  to them. Same on SQLite (partial indexes exist there too). Kept off: a HOT accept (PostgreSQL
  counts a partial index's predicate column as indexed; an expiry index without status makes
  the expiry sweep read the whole history) and fillfactor on accounts or transfers: measured,
  neither paid. On PostgreSQL transfers is locked against writes while the new indexes are
  built (CREATE INDEX in the migration's transaction, one scan of the table each).

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entries') as batch:
        batch.drop_constraint('fk_entries_tx_id_journal', type_='foreignkey')
        batch.drop_constraint('fk_entries_account_id_accounts', type_='foreignkey')
    pending = sa.text("status = 'pending'")
    with op.batch_alter_table('transfers') as batch:
        batch.drop_index('ix_transfers_status_expires')
        batch.drop_index('ix_transfers_sender_id')
        batch.drop_index('ix_transfers_recipient_id')
        for name, column in (('sender', 'sender_id'), ('recipient', 'recipient_id'), ('expires', 'expires_at')):
            batch.create_index(f'ix_transfers_pending_{name}', [column], sqlite_where=pending,
                               postgresql_where=pending)


def downgrade() -> None:
    with op.batch_alter_table('transfers') as batch:
        for name in ('sender', 'recipient', 'expires'):
            batch.drop_index(f'ix_transfers_pending_{name}')
        batch.create_index('ix_transfers_recipient_id', ['recipient_id'])
        batch.create_index('ix_transfers_sender_id', ['sender_id'])
        batch.create_index('ix_transfers_status_expires', ['status', 'expires_at'])
    # fails while an orphan entry exists (audit check 11 names it): nothing is thrown away
    with op.batch_alter_table('entries') as batch:
        batch.create_foreign_key('fk_entries_tx_id_journal', 'journal', ['tx_id'], ['id'])
        batch.create_foreign_key('fk_entries_account_id_accounts', 'accounts', ['account_id'], ['id'])
