"""What every service operation needs: the engine, the rules, the gateways, the clock."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from wallet.clock import SystemClock
from wallet.db import is_sqlite
from wallet.rules import Rules

if TYPE_CHECKING:  # pragma: no cover
    from wallet.bank import BankGateway
    from wallet.pii import PiiBox
    from wallet.sms import SmsGateway


@dataclass
class Context:
    engine: AsyncEngine
    rules: Rules
    pii: "PiiBox"
    bank: "BankGateway"
    sms: "SmsGateway"
    clock: Any = field(default_factory=SystemClock)
    # randomness of lucky red-packet splits: None is the system's CSPRNG; tests may seed one
    rng: Any = None
    # ids of system accounts by (code, shard); immutable once created, so caching is safe
    system_ids: dict[tuple[str, int], int] = field(default_factory=dict)
    # SQLite takes one writer at a time: this process's writers queue here instead of polling
    # the file lock (busy_timeout's sleeps made the slow tail). It orders, it decides nothing:
    # other processes still meet BEGIN IMMEDIATE and busy_timeout.
    write_gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    # what services keep per process on the context, created on first use (none holds money:
    # queues and codecs; each group-commit engine, a wallet.group_commit.GroupCommit, is bound
    # to the event loop that made it)
    pin_gates: dict = field(default_factory=dict, repr=False)           # services.pins: PIN checks queue per person
    sqlite_dt_codec: Any = field(default=None, repr=False)              # services.transfer_sqlite
    sqlite_group: Any = field(default=None, repr=False)                 # sqlite_hop.group
    claim_batcher: Any = field(default=None, repr=False)                # services.claim_fastpath
    transfer_batchers: dict = field(default_factory=dict, repr=False)   # services.transfer_fastpath, by kind
    # the risk engine (wallet/risk): its settings, or None when it is off; who is told of its
    # freezes and holds (the admins' Telegram ids)
    risk: Any = None
    admin_ids: tuple[int, ...] = ()

    @property
    def sqlite(self) -> bool:
        return is_sqlite(self.engine)

    def now(self):
        return self.clock.now()
