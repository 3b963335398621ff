"""A Hypothesis state machine over the wallet's operations, checked after every step against a
plain model and against the audit.

The model is written from the product rules, not from the code under test: fees from fixed
figures (first ¥1,000 of withdrawals free for life, then 0.1 % rounded half up, at least ¥0.10),
days and years in Shanghai time (UTC+8 all year), caps, the PIN lockout (five wrong tries in a
row lock it for three hours), the double-mean bound of lucky shares, expiry after 24 hours.
Steps cover transfers (immediate and delayed; accepted, returned, revoked, expired), red packets
(lucky, equal, exclusive; claimed, emptied, expired), top-ups and withdrawals (the bank declining
or timing out, settled by reconciliation), wrong PINs, freezing, low caps, replays.

Runs on the suite's backend (SQLite, or PostgreSQL with WALLET_TEST_DB=postgres, there once with
the transfer fast path and once without). Each example gets a fresh database and its own event
loop. Examples and steps come from a Hypothesis profile (tests/conftest.py): a few dozen at the
default, HYPOTHESIS_PROFILE=long for a long run."""
from __future__ import annotations

import asyncio
import itertools
import random
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select, text

from tests.conftest import BACKEND, copy_sqlite_schema, make_context, state_machine_settings
from tests.wallet.helpers import PIN, id_for, make_person, phone_for, set_now
from wallet import errors, ledger
from wallet.audit import audit_engine, report
from wallet.bootstrap import bootstrap
from wallet.db import create_engine
from wallet.rules import Rules
from wallet.models import metadata, red_packets as red_packets_t, transfers as transfers_t
from wallet.services import cards, people, red_packets, sms_codes, transfer_fastpath, transfers
from wallet.uow import read

USERS = [1, 2, 3, 4]
WRONG_PIN = "246801"
UTC = timezone.utc

# --- the model's own figures (asserted against the settings once per example) -------------------
FREE_QUOTA = 100_000  # ¥1,000 of withdrawals free, lifetime (the product's figure)
FEE_RATE = Decimal("0.001")
FEE_MIN = 10
PIN_TRIES, PIN_LOCK = 5, timedelta(hours=3)
EXPIRY = timedelta(hours=24)
DELAYS = (0, 2 * 3600, 24 * 3600)
# The machine's own settings, so that an example of a few dozen steps meets each rule: a free
# quota of ¥10 (fees from the first withdrawals on), low caps, and a start at 10:00 on 30
# December in Shanghai (two local days before the new year, the yearly cap reachable in them).
MACHINE_FREE_QUOTA = 1_000
DAILY_CAP, YEARLY_CAP = 6_000, 9_000
SHANGHAI = timedelta(hours=8)  # no daylight saving since 1991
START = datetime(2026, 12, 30, 2, tzinfo=UTC)


def model_fee(amount: int, free_used: int, quota: int = FREE_QUOTA) -> tuple[int, int]:
    """(fee, part of the free quota used) of a withdrawal of ``amount``."""
    free = min(amount, max(0, quota - free_used))
    taxable = amount - free
    if taxable == 0:
        return 0, free
    return max(FEE_MIN, int((taxable * FEE_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP))), free


def model_withdraw_all(balance: int, free_used: int, quota: int = FREE_QUOTA) -> int:
    """The largest amount whose amount + fee fits the balance (0 if none)."""
    amount = balance
    while amount > 0 and amount + model_fee(amount, free_used, quota)[0] > balance:
        amount -= 1
    return amount


def local_day_start(now: datetime) -> datetime:
    local = now + SHANGHAI
    return datetime(local.year, local.month, local.day, tzinfo=UTC) - SHANGHAI


def local_year_start(now: datetime) -> datetime:
    return datetime((now + SHANGHAI).year, 1, 1, tzinfo=UTC) - SHANGHAI


def test_the_models_own_figures():
    defaults = Rules()
    assert (defaults.withdraw_free_quota, defaults.withdraw_fee_per_mille, defaults.withdraw_fee_min) == (
        FREE_QUOTA, 1, FEE_MIN)
    assert model_fee(100_000, 0) == (0, 100_000)
    assert model_fee(150_000, 0) == (50, 100_000)  # ¥500 above the quota: ¥0.50
    assert model_fee(100_001, 0) == (10, 100_000)  # at least ¥0.10
    assert model_fee(10_500, 100_000) == (11, 0)  # ¥0.105 rounds half up
    assert model_fee(10_499, 100_000) == (10, 0)
    assert model_fee(2_000, 99_000) == (10, 1_000)
    assert model_withdraw_all(100_000, 0) == 100_000
    assert model_withdraw_all(100_010, 0) == 100_000  # 100,001 would cost 100,011
    assert model_withdraw_all(200_000, 0) == 199_900  # fee 99.9 -> 100
    assert model_withdraw_all(10, 100_000) == 0
    assert local_day_start(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == datetime(2026, 12, 30, 16, tzinfo=UTC)
    assert local_day_start(datetime(2026, 12, 31, 16, tzinfo=UTC)) == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert local_year_start(datetime(2026, 12, 31, 16, tzinfo=UTC)) == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert local_year_start(datetime(2026, 12, 31, 15, tzinfo=UTC)) == datetime(2025, 12, 31, 16, tzinfo=UTC)


_counter = itertools.count()


def expect(err, cls, **fields):
    assert isinstance(err, cls), f"expected {cls.__name__}{fields or ''}, got {err!r}"
    for name, value in fields.items():
        assert getattr(err, name) == value, f"{cls.__name__}.{name}: {getattr(err, name)!r} != {value!r}"


class WalletMachine(RuleBasedStateMachine):
    database_url: str = ""  # set by the test

    def __init__(self):
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.n = next(_counter)
        self.ctx = self.run(self._setup())
        self.balance: dict[int, int] = {}  # opened (and verified) people -> wallet balance
        self.card: dict[int, int] = {}
        self.free_used: dict[int, int] = {}
        self.frozen: set[int] = set()
        self.pin_failed: dict[int, int] = {}
        self.pin_locked: dict[int, datetime | None] = {}
        self.spent: dict[int, list[tuple[datetime, int]]] = {}  # outgoing money, for the caps
        self.pending: dict[int, dict] = {}  # transfer id -> sender, recipient, amount, arrive, expires
        self.packets: dict[int, dict] = {}  # open packet id -> its state
        self.unknown: dict[int, dict] = {}  # bank op id -> what a timed-out op holds or may bring
        self.replayable: list[tuple] = []  # (call, kwargs, result) of successful sends
        self.keys = itertools.count()

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def _setup(self):
        url = self.database_url
        if url.startswith("sqlite"):
            url = url.replace("wallet.db", f"machine{self.n}.db")
            copy_sqlite_schema(Path(url.removeprefix("sqlite+aiosqlite:///")))
        engine = create_engine(url)
        if BACKEND == "postgres":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            async with engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        ctx = make_context(engine, daily_cap_verified=DAILY_CAP, yearly_cap_verified=YEARLY_CAP,
                           withdraw_free_quota=MACHINE_FREE_QUOTA)
        r = ctx.rules
        assert (r.withdraw_fee_per_mille, r.withdraw_fee_min) == (1, FEE_MIN)
        assert (r.pin_max_tries, r.pin_lock_seconds, r.timezone) == (PIN_TRIES, 3 * 3600, "Asia/Shanghai")
        assert (r.transfer_expiry_seconds, r.red_packet_expiry_seconds) == (86_400, 86_400)
        assert r.transfer_delay_choices_seconds == DELAYS[1:]
        # Hypothesis replays an example to shrink it: the same steps must give the same state,
        # so the lucky splits are drawn from a seeded generator here
        ctx.rng = random.Random(0)
        set_now(ctx, START)
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

    def now(self) -> datetime:
        return self.ctx.now()

    def attempt(self, coro):
        try:
            return self.run(coro), None
        except errors.WalletError as exc:
            return None, exc

    # --- the model's rules ---------------------------------------------------------------------
    def pin_outcome(self, uid: int, right: bool):
        """What checking this PIN does (the model's lockout): None if accepted, else the error."""
        now = self.now()
        locked = self.pin_locked[uid]
        if locked is not None and locked > now:
            return errors.PinLocked, {"until": locked}
        if right:
            self.pin_failed[uid], self.pin_locked[uid] = 0, None
            return None
        if locked is not None:  # a lock that ran out starts a fresh count
            self.pin_failed[uid], self.pin_locked[uid] = 0, None
        self.pin_failed[uid] += 1
        if self.pin_failed[uid] >= PIN_TRIES:
            self.pin_failed[uid], self.pin_locked[uid] = 0, now + PIN_LOCK
            return errors.PinLocked, {"until": now + PIN_LOCK}
        return errors.PinWrong, {"tries_left": PIN_TRIES - self.pin_failed[uid]}

    def cap_outcome(self, uid: int, amount: int):
        now = self.now()
        day = sum(a for t, a in self.spent[uid] if t >= local_day_start(now))
        year = sum(a for t, a in self.spent[uid] if t >= local_year_start(now))
        if day + amount > DAILY_CAP:
            return errors.LimitExceeded, {"period": "day", "cap": DAILY_CAP, "used": day, "requested": amount}
        if year + amount > YEARLY_CAP:
            return errors.LimitExceeded, {"period": "year", "cap": YEARLY_CAP, "used": year, "requested": amount}
        return None

    def check(self, err, outcome) -> bool:
        """If an error is predicted, assert that ``err`` is it and return True; else False
        (a later check, or the success path, looks at ``err``)."""
        if not outcome:
            return False
        expect(err, outcome[0], **outcome[1])
        return True

    def open(self, uid, amount=0):
        card = self.run(make_person(self.ctx, uid, balance=amount))  # moves the clock by a minute
        self.reconciliation()
        self.card[uid] = card["card_id"]
        self.balance[uid] = amount
        self.free_used[uid] = 0
        self.pin_failed[uid], self.pin_locked[uid] = 0, None
        self.spent[uid] = []

    # --- rules: people ---------------------------------------------------------------------------
    @initialize(funds=st.lists(st.integers(5_000, 100_000), min_size=2, max_size=2))
    def two_people_with_money(self, funds):
        for uid, amount in zip(USERS, funds):
            self.open(uid, amount)

    @rule(uid=st.sampled_from(USERS))
    def open_wallet(self, uid):
        if uid in self.balance:
            result = self.run(people.open_wallet(self.ctx, key=self.key(), user_id=uid))
            assert result["created"] is False
            return
        self.open(uid)

    @precondition(lambda self: self.balance)
    @rule(data=st.data(), right_pin=st.booleans())
    def freeze_or_unfreeze(self, data, right_pin):
        uid = data.draw(st.sampled_from(sorted(self.balance)))
        if uid not in self.frozen:
            self.run(people.freeze(self.ctx, key=self.key(), user_id=uid))
            self.frozen.add(uid)
            return
        self.ctx.clock.advance(seconds=61)
        self.reconciliation()
        self.run(sms_codes.request_code(self.ctx, phone=phone_for(uid), purpose="unfreeze"))
        code = self.ctx.sms.last_code(phone_for(uid))
        _, err = self.attempt(people.unfreeze(self.ctx, key=self.key(), user_id=uid, pin=PIN if right_pin else WRONG_PIN,
                                              sms_code=code, id_number=id_for(uid)))
        if not self.check(err, self.pin_outcome(uid, right_pin)):
            assert err is None, err
            self.frozen.discard(uid)

    # one locked PIN at a time, or locked people would crowd out everything else
    @precondition(lambda self: self.balance and not any(t and t > self.now() for t in self.pin_locked.values()))
    @rule(data=st.data(), op=st.sampled_from(["transfer", "red_packet", "top_up", "withdraw"]),
          times=st.sampled_from([1, 1, 2, PIN_TRIES]))
    def wrong_pin(self, data, op, times):
        uid = data.draw(st.sampled_from(sorted(self.balance)))
        for _ in range(times):
            self.one_wrong_pin(uid, op)

    def one_wrong_pin(self, uid, op):
        other = next(u for u in USERS if u != uid)
        call = {
            "transfer": lambda: transfers.send(self.ctx, key=self.key(), sender_id=uid, recipient_id=other, amount=100,
                                               pin=WRONG_PIN),
            "red_packet": lambda: red_packets.create(self.ctx, key=self.key(), sender_id=uid, kind="lucky", amount=300,
                                                     shares=3, pin=WRONG_PIN),
            "top_up": lambda: cards.top_up(self.ctx, key=self.key(), user_id=uid, card_id=self.card[uid], amount=100,
                                           pin=WRONG_PIN),
            "withdraw": lambda: cards.withdraw(self.ctx, key=self.key(), user_id=uid, card_id=self.card[uid],
                                               amount=100, pin=WRONG_PIN),
        }[op]
        _, err = self.attempt(call())
        assert self.check(err, self.pin_outcome(uid, right=False))

    # --- rules: the bank -------------------------------------------------------------------------
    @precondition(lambda self: self.balance)
    @rule(data=st.data(), amount=st.integers(1, 50_000),
          bank=st.sampled_from(["ok", "ok", "declined", "timeout:succeeded", "timeout:failed"]))
    def top_up(self, data, amount, bank):
        uid = data.draw(st.sampled_from(sorted(self.balance)))
        outcome = self.pin_outcome(uid, True) or (uid in self.frozen and (errors.AccountFrozen, {"user_id": uid}))
        if not outcome:
            self.inject("charge", bank)
        res, err = self.attempt(cards.top_up(self.ctx, key=self.key(), user_id=uid, card_id=self.card[uid],
                                             amount=amount, pin=PIN))
        if self.check(err, outcome):
            return
        if self.bank_failed(err, bank, uid=uid, kind="charge", amount=amount, hold=0, free=0):
            return
        assert err is None, err
        assert (res["amount"], res["status"]) == (amount, "succeeded")
        self.balance[uid] += amount
        assert res["balance"] == self.balance[uid]

    @precondition(lambda self: self.balance)
    @rule(data=st.data(), amount=st.one_of(st.none(), st.integers(1, 30_000)),
          bank=st.sampled_from(["ok", "ok", "declined", "timeout:succeeded", "timeout:failed"]))
    def withdraw(self, data, amount, bank):
        uid = data.draw(st.sampled_from(sorted(self.balance)))
        balance, free_used = self.balance[uid], self.free_used[uid]
        want = model_withdraw_all(balance, free_used, MACHINE_FREE_QUOTA) if amount is None else amount
        fee, free = model_fee(want, free_used, MACHINE_FREE_QUOTA) if want else (0, 0)
        outcome = self.pin_outcome(uid, True) or (uid in self.frozen and (errors.AccountFrozen, {"user_id": uid}))
        if not outcome and want == 0:
            outcome = errors.InsufficientBalance, {"needed": FEE_MIN + 1, "available": balance}
        elif not outcome and want + fee > balance:
            outcome = errors.InsufficientBalance, {"needed": want + fee, "available": balance}
        if not outcome:
            self.inject("payout", bank)
        res, err = self.attempt(cards.withdraw(self.ctx, key=self.key(), user_id=uid, card_id=self.card[uid],
                                               amount=amount, pin=PIN))
        if self.check(err, outcome):
            return
        if self.bank_failed(err, bank, uid=uid, kind="payout", amount=want, hold=want + fee, free=free):
            return
        assert err is None, err
        assert (res["amount"], res["fee"], res["status"]) == (want, fee, "succeeded")
        self.balance[uid] -= want + fee
        self.free_used[uid] += free
        assert res["balance"] == self.balance[uid]

    def inject(self, op: str, bank: str) -> None:
        if bank == "declined":
            self.ctx.bank.fail_next(op, "declined")
        elif bank.startswith("timeout:"):
            self.ctx.bank.fail_next(op, errors.BankTimeout, outcome=bank.split(":")[1])

    def bank_failed(self, err, bank, *, uid, kind, amount, hold, free) -> bool:
        """Apply a declined or timed-out bank answer to the model; True if there was one."""
        if bank == "declined":  # nothing moved (a declined payout gives back amount and fee)
            expect(err, errors.BankDeclined, reason="declined")
            return True
        if bank.startswith("timeout:"):
            expect(err, errors.BankTimeout)
            # a withdrawal's hold is taken at once; a top-up's money comes only if the bank took it
            self.balance[uid] -= hold
            self.free_used[uid] += free
            self.unknown[err.op_id] = {"uid": uid, "kind": kind, "amount": amount, "hold": hold, "free": free,
                                       "outcome": bank.split(":")[1]}
            return True
        return False

    @rule(seconds=st.sampled_from([61, 1_800, 2 * 3600, 3 * 3600 + 1, 8 * 3600, 25 * 3600]))
    def time_passes(self, seconds):
        """Time goes by; the reconciliation job settles every bank operation left unknown."""
        self.ctx.clock.advance(seconds=seconds)
        self.reconciliation()

    def reconciliation(self):
        """The job that settles bank operations left unknown for a minute or more (all of them:
        every rule that moves the clock moves it by at least that)."""
        settled = self.run(cards.reconcile(self.ctx))
        assert {s["op_id"]: s["status"] for s in settled} == {i: u["outcome"] for i, u in self.unknown.items()}
        for u in self.unknown.values():
            if u["kind"] == "charge" and u["outcome"] == "succeeded":
                self.balance[u["uid"]] += u["amount"]
            if u["kind"] == "payout" and u["outcome"] == "failed":
                self.balance[u["uid"]] += u["hold"]
                self.free_used[u["uid"]] -= u["free"]
        self.unknown.clear()

    # --- rules: transfers ------------------------------------------------------------------------
    @precondition(lambda self: len(self.balance) >= 2)
    @rule(data=st.data(), amount=st.integers(1, 8_000), delay=st.sampled_from(DELAYS))
    def transfer(self, data, amount, delay):
        s = data.draw(st.sampled_from(sorted(self.balance)))
        others = [u for u in sorted(self.balance) if u != s]
        r = data.draw(st.sampled_from(others * 3 + USERS))  # now and then oneself or someone without a wallet
        kw = dict(key=self.key(), sender_id=s, recipient_id=r, amount=amount, pin=PIN, delay_seconds=delay)
        res, err = self.attempt(transfers.send(self.ctx, **kw))
        if s == r:
            return expect(err, errors.TransferToSelf)
        if self.check(err, self.pin_outcome(s, True)):
            return
        if s in self.frozen:
            return expect(err, errors.AccountFrozen, user_id=s)
        if r not in self.balance:
            return expect(err, errors.WalletNotOpen, user_id=r)
        if self.check(err, self.cap_outcome(s, amount)):
            return
        if amount > self.balance[s]:
            return expect(err, errors.InsufficientBalance, needed=amount, available=self.balance[s])
        assert err is None, err
        now = self.now()
        arrive = now + timedelta(seconds=delay)
        assert (res["amount"], res["status"], res["sender_id"], res["recipient_id"]) == (amount, "pending", s, r)
        assert (res["arrive_at"], res["expires_at"]) == (arrive.isoformat(), (arrive + EXPIRY).isoformat())
        self.balance[s] -= amount
        self.spent[s].append((now, amount))
        self.pending[res["transfer_id"]] = {"s": s, "r": r, "amount": amount, "arrive": arrive,
                                            "expires": arrive + EXPIRY}
        self.replayable.append((transfers.send, kw, res))

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), wrong_person=st.sampled_from([False, False, False, True]))
    def accept(self, data, wrong_person):
        self.end_transfer(data, "accept", wrong_person)

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), wrong_person=st.sampled_from([False, False, False, True]))
    def give_back(self, data, wrong_person):
        self.end_transfer(data, "give_back", wrong_person)

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), wrong_person=st.sampled_from([False, False, False, True]))
    def revoke(self, data, wrong_person):
        self.end_transfer(data, "revoke", wrong_person)

    def end_transfer(self, data, action, wrong_person):
        tid = data.draw(st.sampled_from(sorted(self.pending)))
        t = self.pending[tid]
        actor = t["s"] if (action == "revoke") != wrong_person else t["r"]
        op = {"accept": transfers.accept, "give_back": transfers.give_back, "revoke": transfers.revoke}[action]
        res, err = self.attempt(op(self.ctx, key=self.key(), user_id=actor, transfer_id=tid))
        now = self.now()
        if wrong_person:
            return expect(err, errors.NotYourTransfer, transfer_id=tid)
        if t["expires"] <= now:  # due for the sweep, not yet swept
            return expect(err, errors.TransferNotPending, transfer_id=tid, status="expired")
        if action == "accept" and now < t["arrive"]:
            return expect(err, errors.TransferNotArrived, transfer_id=tid, arrive_at=t["arrive"])
        if action == "revoke" and now >= t["arrive"]:
            return expect(err, errors.TransferNotPending, transfer_id=tid, status="arrived")
        assert err is None, err
        status = {"accept": "accepted", "give_back": "returned", "revoke": "revoked"}[action]
        assert (res["status"], res["transfer_id"], res["amount"]) == (status, tid, t["amount"])
        self.balance[t["r"] if action == "accept" else t["s"]] += t["amount"]
        del self.pending[tid]

    @rule()
    def sweep(self):
        """The expiry jobs: transfers and packets past their time go back to their senders."""
        now = self.now()
        refunded = self.run(transfers.expire_due(self.ctx))
        due = {tid for tid, t in self.pending.items() if t["expires"] <= now}
        assert {t["transfer_id"] for t in refunded} == due
        for tid in due:
            t = self.pending.pop(tid)
            self.balance[t["s"]] += t["amount"]
        expired = self.run(red_packets.expire_due(self.ctx))
        due = {pid for pid, p in self.packets.items() if p["expires"] <= now}
        assert {p["packet_id"]: p["refunded"] for p in expired} == {pid: self.packets[pid]["left"] for pid in due}
        for pid in due:
            p = self.packets.pop(pid)
            self.balance[p["sender"]] += p["left"]

    @precondition(lambda self: self.replayable)
    @rule(data=st.data())
    def replay(self, data):
        """A double tap or a re-delivered update: the same key and request give the first answer."""
        call, kw, first = data.draw(st.sampled_from(self.replayable))
        res, err = self.attempt(call(self.ctx, **kw))
        if self.check(err, self.pin_outcome(kw["sender_id"], True)):  # the PIN is asked again
            return
        assert res == first, (res, first)

    # --- rules: red packets ----------------------------------------------------------------------
    @precondition(lambda self: self.balance)
    @rule(data=st.data(), kind=st.sampled_from(["lucky", "equal", "exclusive"]), shares=st.integers(1, 5))
    def red_packet(self, data, kind, shares):
        s = data.draw(st.sampled_from(sorted(self.balance)))
        # mostly within the caps and the ¥200 a packet, now and then above them
        top = 20_000 // shares + 100 if kind == "equal" else 20_100
        amount = data.draw(st.one_of(st.integers(1, min(top, 5_000)), st.integers(1, top)))
        target = data.draw(st.sampled_from([u for u in USERS if u != s])) if kind == "exclusive" else None
        shares = 1 if kind == "exclusive" else shares
        total = amount * shares if kind == "equal" else amount
        kw = dict(key=self.key(), sender_id=s, kind=kind, amount=amount, shares=shares, pin=PIN,
                  exclusive_user_id=target)
        res, err = self.attempt(red_packets.create(self.ctx, **kw))
        if kind == "lucky" and amount < shares:
            return expect(err, errors.RedPacketInvalid, reason="share_too_small", limit=1)
        if total > 20_000:
            return expect(err, errors.RedPacketInvalid, reason="total_too_large", limit=20_000)
        if self.check(err, self.pin_outcome(s, True)):
            return
        if s in self.frozen:
            return expect(err, errors.AccountFrozen, user_id=s)
        if target is not None and target not in self.balance:
            return expect(err, errors.WalletNotOpen, user_id=target)
        if self.check(err, self.cap_outcome(s, total)):
            return
        if total > self.balance[s]:
            return expect(err, errors.InsufficientBalance, needed=total, available=self.balance[s])
        assert err is None, err
        assert (res["kind"], res["total"], res["shares"], res["status"]) == (kind, total, shares, "open")
        assert res["per_share"] == (amount if kind == "equal" else None)
        now = self.now()
        self.balance[s] -= total
        self.spent[s].append((now, total))
        self.packets[res["packet_id"]] = {"sender": s, "kind": kind, "left": total, "shares": shares,
                                          "per_share": amount, "for": target, "claimers": set(),
                                          "expires": now + EXPIRY}
        self.replayable.append((red_packets.create, kw, res))

    @precondition(lambda self: self.packets)
    @rule(data=st.data())
    def claim(self, data):
        pid = data.draw(st.sampled_from(sorted(self.packets)))
        uid = data.draw(st.sampled_from(USERS))
        p = self.packets[pid]
        res, err = self.attempt(red_packets.claim(self.ctx, key=self.key(), packet_id=pid, user_id=uid))
        if p["for"] is not None and p["for"] != uid:
            return expect(err, errors.NotForYou, packet_id=pid)
        if uid in p["claimers"]:
            return expect(err, errors.AlreadyClaimed, packet_id=pid)
        if p["expires"] <= self.now():
            return expect(err, errors.RedPacketExpired, packet_id=pid)
        if uid not in self.balance:
            return expect(err, errors.WalletNotOpen, user_id=uid)
        assert err is None, err
        got, left, n = res["amount"], p["left"], p["shares"]
        if n == 1:
            assert got == left  # the last share takes the rest
        elif p["kind"] == "equal":
            assert got == p["per_share"]
        else:  # double mean: between ¥0.01 and twice the average of what is left, a fen left for each other share
            assert 1 <= got and got * n <= 2 * left and left - got >= n - 1, (got, left, n)
        assert res["last"] == (n == 1) and res["claimer_id"] == uid
        p["claimers"].add(uid)
        p["left"] -= got
        p["shares"] -= 1
        self.balance[uid] += got
        if p["shares"] == 0:
            assert p["left"] == 0
            del self.packets[pid]

    # --- checks ------------------------------------------------------------------------------
    @invariant()
    def balances_match_the_model(self):
        async def body(conn):
            return {uid: await ledger.balance_of(conn, await ledger.wallet_account(conn, uid)) for uid in self.balance}
        assert self.run(read(self.ctx, body)) == self.balance

    @invariant()
    def holds_match_the_model(self):
        async def body(conn):
            t = set((await conn.execute(select(transfers_t.c.id).where(transfers_t.c.status == "pending"))).scalars())
            p = set((await conn.execute(select(red_packets_t.c.id).where(red_packets_t.c.status == "open"))).scalars())
            return t, p
        assert self.run(read(self.ctx, body)) == (set(self.pending), set(self.packets))

    @invariant()
    def check_audit(self):
        checks = self.run(audit_engine(self.ctx.engine, now=self.ctx.now(),
                                       reconcile_seconds=self.ctx.rules.bank_reconcile_seconds))
        assert all(c.ok for c in checks), report(checks)


# stress tier (make test, not test-fast): dozens of examples of dozens of steps, each on a database
# of its own with the audit after every step (~30 s); test_the_models_own_figures stays in service
@pytest.mark.stress
@pytest.mark.parametrize("fast", [True, False] if BACKEND == "postgres" else [False],
                         ids=(lambda fast: "fast" if fast else "general"))
def test_wallet_state_machine(database_url, database_template, monkeypatch, fast):
    monkeypatch.setattr(transfer_fastpath, "FAST_PATH", fast)
    WalletMachine.database_url = database_url
    machine = WalletMachine.TestCase
    machine.settings = state_machine_settings()
    machine().runTest()
