"""A Hypothesis state machine over the wallet's operations, checked after every step against a
plain model (balances, pending transfers, open red packets) and against the audit.

Runs on the same database backend as the rest of the suite (SQLite, or PostgreSQL when
WALLET_TEST_DB=postgres). Each example gets a fresh database and its own event loop."""
from __future__ import annotations

import asyncio
import itertools
import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import text

from tests.conftest import BACKEND, make_context
from tests.wallet.helpers import PIN, id_for, make_person
from wallet import errors, ledger
from wallet.audit import audit_engine, report
from wallet.bootstrap import bootstrap
from wallet.db import create_engine
from wallet.fees import quote
from wallet.models import metadata
from wallet.services import cards, people, red_packets, sms_codes, transfers
from wallet.uow import read

USERS = [1, 2, 3, 4]
_counter = itertools.count()


class WalletMachine(RuleBasedStateMachine):
    database_url: str = ""  # set by the test

    def __init__(self):
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.n = next(_counter)
        self.ctx = self.run(self._setup())
        self.balance: dict[int, int] = {}
        self.card: dict[int, int] = {}
        self.free_used: dict[int, int] = {}
        self.frozen: set[int] = set()
        self.pending: dict[int, tuple[int, int, int]] = {}  # transfer id -> sender, recipient, amount
        self.packets: dict[int, dict] = {}  # open packet id -> sender, left, shares_left, claimers
        self.keys = itertools.count()

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def _setup(self):
        url = self.database_url
        if url.startswith("sqlite"):
            url = url.replace("wallet.db", f"machine{self.n}.db")
        engine = create_engine(url)
        async with engine.begin() as conn:
            if BACKEND == "postgres":
                names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                await conn.run_sync(metadata.create_all)
        ctx = make_context(engine)
        # Hypothesis replays an example to shrink it: the same steps must give the same state,
        # so the lucky splits are drawn from a seeded generator here
        ctx.rng = random.Random(0)
        await bootstrap(ctx)
        return ctx

    def teardown(self):
        try:
            self.check_audit()
        finally:
            self.run(self.ctx.engine.dispose())
            self.loop.close()

    def key(self) -> str:
        return f"k{next(self.keys)}"

    def attempt(self, coro):
        try:
            return self.run(coro), None
        except errors.WalletError as exc:
            return None, exc

    # --- rules -------------------------------------------------------------------------------
    @initialize(funds=st.lists(st.integers(0, 200_000), min_size=2, max_size=2))
    def two_people_with_money(self, funds):
        for uid, amount in zip(USERS, funds):
            self.open(uid, amount)

    def open(self, uid, amount=0):
        card = self.run(make_person(self.ctx, uid, balance=amount))
        self.card[uid] = card["card_id"]
        self.balance[uid] = amount
        self.free_used[uid] = 0

    @rule(uid=st.sampled_from(USERS))
    def open_wallet(self, uid):
        if uid in self.balance:
            result = self.run(people.open_wallet(self.ctx, key=self.key(), user_id=uid))
            assert result["created"] is False
            return
        self.open(uid)

    @precondition(lambda self: self.balance)
    @rule(data=st.data(), amount=st.integers(1, 50_000))
    def top_up(self, data, amount):
        uid = data.draw(st.sampled_from(sorted(self.balance)))
        res, err = self.attempt(cards.top_up(self.ctx, key=self.key(), user_id=uid, card_id=self.card[uid],
                                             amount=amount, pin=PIN))
        if uid in self.frozen:
            assert isinstance(err, errors.AccountFrozen), err
        else:
            assert err is None, err
            self.balance[uid] += amount

    @precondition(lambda self: self.balance)
    @rule(data=st.data(), amount=st.one_of(st.none(), st.integers(1, 200_000)))
    def withdraw(self, data, amount):
        uid = data.draw(st.sampled_from(sorted(self.balance)))
        res, err = self.attempt(cards.withdraw(self.ctx, key=self.key(), user_id=uid, card_id=self.card[uid],
                                               amount=amount, pin=PIN))
        if uid in self.frozen:
            assert isinstance(err, errors.AccountFrozen), err
            return
        if amount is not None and quote(self.ctx.rules, amount, self.free_used[uid]).total > self.balance[uid]:
            assert isinstance(err, errors.InsufficientBalance), err
            return
        if amount is None and self.balance[uid] < 1:
            assert isinstance(err, errors.InsufficientBalance), err
            return
        assert err is None, err
        q = quote(self.ctx.rules, res["amount"], self.free_used[uid])
        assert res["fee"] == q.fee
        self.balance[uid] -= q.total
        self.free_used[uid] += q.free_used
        if amount is None:
            assert self.balance[uid] >= 0
            nxt = quote(self.ctx.rules, res["amount"] + 1, self.free_used[uid] - q.free_used)
            assert nxt.total > self.balance[uid] + q.total

    @precondition(lambda self: len(self.balance) >= 2)
    @rule(data=st.data(), amount=st.integers(1, 30_000))
    def transfer(self, data, amount):
        s = data.draw(st.sampled_from(sorted(self.balance)))
        r = data.draw(st.sampled_from(sorted(self.balance)))
        res, err = self.attempt(transfers.send(self.ctx, key=self.key(), sender_id=s, recipient_id=r,
                                               amount=amount, pin=PIN))
        if s == r:
            assert isinstance(err, errors.TransferToSelf), err
        elif s in self.frozen:
            assert isinstance(err, errors.AccountFrozen), err
        elif amount > self.balance[s]:
            assert isinstance(err, errors.InsufficientBalance), err
        else:
            assert err is None, err
            self.balance[s] -= amount
            self.pending[res["transfer_id"]] = (s, r, amount)

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), give_back=st.booleans())
    def settle_transfer(self, data, give_back):
        tid = data.draw(st.sampled_from(sorted(self.pending)))
        s, r, amount = self.pending.pop(tid)
        op = transfers.give_back if give_back else transfers.accept
        res, err = self.attempt(op(self.ctx, key=self.key(), user_id=r, transfer_id=tid))
        assert err is None, err
        self.balance[s if give_back else r] += amount

    @rule()
    def expire_everything(self):
        self.ctx.clock.advance(hours=25)
        refunded = self.run(transfers.expire_due(self.ctx))
        assert {t["transfer_id"] for t in refunded} == set(self.pending)
        for s, _r, amount in self.pending.values():
            self.balance[s] += amount
        self.pending.clear()
        expired = self.run(red_packets.expire_due(self.ctx))
        assert {p["packet_id"] for p in expired} == set(self.packets)
        for p in self.packets.values():
            self.balance[p["sender"]] += p["left"]
        self.packets.clear()

    @precondition(lambda self: self.balance)
    @rule(data=st.data(), total=st.integers(1, 20_000), shares=st.integers(1, 5))
    def red_packet(self, data, total, shares):
        s = data.draw(st.sampled_from(sorted(self.balance)))
        res, err = self.attempt(red_packets.create(self.ctx, key=self.key(), sender_id=s, kind="lucky",
                                                   amount=total, shares=shares, pin=PIN))
        if total < shares:
            assert isinstance(err, errors.RedPacketInvalid), err
        elif s in self.frozen:
            assert isinstance(err, errors.AccountFrozen), err
        elif total > self.balance[s]:
            assert isinstance(err, errors.InsufficientBalance), err
        else:
            assert err is None, err
            self.balance[s] -= total
            self.packets[res["packet_id"]] = {"sender": s, "left": total, "shares": shares, "claimers": set()}

    @precondition(lambda self: self.packets and self.balance)
    @rule(data=st.data())
    def claim(self, data):
        pid = data.draw(st.sampled_from(sorted(self.packets)))
        uid = data.draw(st.sampled_from(sorted(self.balance)))
        p = self.packets[pid]
        res, err = self.attempt(red_packets.claim(self.ctx, key=self.key(), packet_id=pid, user_id=uid))
        if uid in p["claimers"]:
            assert isinstance(err, errors.AlreadyClaimed), err
            return
        assert err is None, err
        assert 1 <= res["amount"] <= p["left"]
        p["claimers"].add(uid)
        p["left"] -= res["amount"]
        p["shares"] -= 1
        self.balance[uid] += res["amount"]
        if p["shares"] == 0:
            assert p["left"] == 0
            del self.packets[pid]

    @precondition(lambda self: self.balance)
    @rule(data=st.data())
    def freeze_or_unfreeze(self, data):
        uid = data.draw(st.sampled_from(sorted(self.balance)))
        if uid not in self.frozen:
            self.run(people.freeze(self.ctx, key=self.key(), user_id=uid))
            self.frozen.add(uid)
            return
        from tests.wallet.helpers import phone_for
        self.ctx.clock.advance(seconds=61)
        self.run(sms_codes.request_code(self.ctx, phone=phone_for(uid), purpose="unfreeze"))
        code = self.ctx.sms.last_code(phone_for(uid))
        self.run(people.unfreeze(self.ctx, key=self.key(), user_id=uid, pin=PIN, sms_code=code,
                                 id_number=id_for(uid)))
        self.frozen.discard(uid)

    # --- checks ------------------------------------------------------------------------------
    @invariant()
    def balances_match_the_model(self):
        async def body(conn):
            return {uid: await ledger.balance_of(conn, await ledger.wallet_account(conn, uid)) for uid in self.balance}
        assert self.run(read(self.ctx, body)) == self.balance

    @invariant()
    def check_audit(self):
        checks = self.run(audit_engine(self.ctx.engine, now=self.ctx.now(),
                                       reconcile_seconds=self.ctx.rules.bank_reconcile_seconds))
        assert all(c.ok for c in checks), report(checks)


def test_wallet_state_machine(database_url, database_template):
    WalletMachine.database_url = database_url
    machine = WalletMachine.TestCase
    machine.settings = settings(max_examples=12, stateful_step_count=25, deadline=None,
                                suppress_health_check=list(HealthCheck))
    machine().runTest()
