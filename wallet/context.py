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

    @property
    def sqlite(self) -> bool:
        return is_sqlite(self.engine)

    def now(self):
        return self.clock.now()
