"""Regressions for the five holes an outside audit found (issue 7), through the public service
functions only, on both databases. Each test failed on the code before its fix."""
from __future__ import annotations

import asyncio
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from tests.conftest import make_context
from tests.wallet.helpers import PIN, make_person, wallet_balance
from wallet import errors, ledger
from wallet import pin as pinlib
from wallet.audit import audit_engine, report
from wallet.bank import SandboxBank
from wallet.bootstrap import bootstrap
from wallet.models import accounts, bank_ops, transfers as transfers_table, users
from wallet.services import cards, people, pins, red_packets, transfer_fastpath, transfers
from wallet.uow import read, transaction

A, B, C = 701, 702, 703


async def audited(ctx) -> None:
    checks = await audit_engine(ctx.engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    assert all(c.ok for c in checks), report(checks)


async def capped(engine, **rules):
    ctx = make_context(engine, **rules)
    await bootstrap(ctx)
    for uid in (A, B):
        await make_person(ctx, uid, balance=100_000)
    return ctx


# --- 1. every way money leaves a wallet sees every other one under the caps ------------------
@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "general_path"])
async def test_a_transfer_sent_while_a_red_packet_is_created_sees_it_under_the_daily_cap(engine, monkeypatch, fast):
    monkeypatch.setattr(transfer_fastpath, "FAST_PATH", fast)
    ctx = await capped(engine, daily_cap_verified=1_000)
    await transfers.send(ctx, key="spent", sender_id=A, recipient_id=B, amount=900, pin=None, pin_checked=True)

    checked, release = asyncio.Event(), asyncio.Event()
    real = red_packets.check_outgoing

    async def paused(ctx_, conn, account_id, amount):  # the packet's transaction stays open here
        await real(ctx_, conn, account_id, amount)
        checked.set()
        await release.wait()

    monkeypatch.setattr(red_packets, "check_outgoing", paused)
    packet = asyncio.create_task(red_packets.create(ctx, key="rp", sender_id=A, kind="lucky", amount=100,
                                                    shares=1, pin=None, pin_checked=True, chat_id=-5))
    await checked.wait()
    send = asyncio.create_task(transfers.send(ctx, key="late", sender_id=A, recipient_id=B, amount=100,
                                              pin=None, pin_checked=True))
    await asyncio.sleep(0.5)  # every chance for the transfer to slip past the open packet
    release.set()
    made, sent = await asyncio.gather(packet, send, return_exceptions=True)
    assert isinstance(made, dict), made
    assert isinstance(sent, errors.LimitExceeded) and sent.used == 1_000, sent
    assert await wallet_balance(ctx, A) == 100_000 - 1_000
    await audited(ctx)


async def test_a_red_packet_created_while_a_transfer_is_sent_sees_it_under_the_daily_cap(engine, monkeypatch):
    monkeypatch.setattr(transfer_fastpath, "FAST_PATH", False)  # the transfer's general path pauses
    ctx = await capped(engine, daily_cap_verified=1_000)
    await transfers.send(ctx, key="spent", sender_id=A, recipient_id=B, amount=900, pin=None, pin_checked=True)
    checked, release = asyncio.Event(), asyncio.Event()
    real = transfers.check_outgoing

    async def paused(ctx_, conn, account_id, amount):
        await real(ctx_, conn, account_id, amount)
        checked.set()
        await release.wait()

    monkeypatch.setattr(transfers, "check_outgoing", paused)
    send = asyncio.create_task(transfers.send(ctx, key="first", sender_id=A, recipient_id=B, amount=100,
                                              pin=None, pin_checked=True))
    await checked.wait()
    packet = asyncio.create_task(red_packets.create(ctx, key="rp", sender_id=A, kind="equal", amount=50,
                                                    shares=2, pin=None, pin_checked=True, chat_id=-5))
    await asyncio.sleep(0.5)
    release.set()
    sent, made = await asyncio.gather(send, packet, return_exceptions=True)
    assert isinstance(sent, dict), sent
    assert isinstance(made, errors.LimitExceeded), made
    await audited(ctx)


# --- 2. a burst of PIN checks gets no more tries than a row of them ----------------------------
async def test_a_burst_of_pin_guesses_gets_five_tries_and_the_right_pin_last_is_refused(ctx, monkeypatch):
    await make_person(ctx, A)
    evaluated = []
    real = pinlib.verify_pin

    async def counting(pin, hashed):
        evaluated.append(pin)
        return await real(pin, hashed)

    monkeypatch.setattr(pinlib, "verify_pin", counting)
    guesses = [f"{n:06d}" for n in range(100_001, 100_030)] + [PIN]
    results = await asyncio.gather(*(pins.verify_pin(ctx, A, g) for g in guesses), return_exceptions=True)
    assert len(evaluated) <= ctx.rules.pin_max_tries, evaluated
    assert PIN not in evaluated
    assert results[-1] is not None and isinstance(results[-1], errors.PinLocked), results[-1]
    assert sum(isinstance(r, errors.PinWrong) for r in results) == 4
    assert sum(isinstance(r, errors.PinLocked) for r in results) == 26
    with pytest.raises(errors.PinLocked):
        await pins.verify_pin(ctx, A, PIN)


async def test_right_pins_at_once_all_pass_and_leave_no_try_counted(ctx):
    await make_person(ctx, A)
    results = await asyncio.gather(*(pins.verify_pin(ctx, A, PIN) for _ in range(20)), return_exceptions=True)
    assert results == [None] * 20
    row = await read(ctx, lambda conn: _user(conn, A))
    assert (row.pin_failed, row.pin_inflight) == (0, 0)


async def test_a_check_that_died_in_flight_counts_as_a_wrong_try(ctx):
    await make_person(ctx, A)
    # five checks reserved their tries and the process died before settling them
    await transaction(ctx, lambda conn: conn.execute(update(users).where(users.c.id == A)
                                                     .values(pin_inflight=5, pin_inflight_at=ctx.now())))
    ctx.clock.advance(seconds=ctx.rules.pin_check_stale_seconds)
    with pytest.raises(errors.PinLocked):
        await pins.verify_pin(ctx, A, PIN)


async def _user(conn, uid):
    return (await conn.execute(select(users).where(users.c.id == uid))).one()


# --- 3. a caller's keys cannot reach the wallet's own, nor another person's -------------------
async def test_caller_keys_shaped_like_internal_ones_break_no_sweep(ctx):
    for uid in (A, B, C):
        await make_person(ctx, uid, balance=10_000)
    first = await transfers.send(ctx, key="t1", sender_id=A, recipient_id=B, amount=100, pin=PIN)
    tid = first["transfer_id"]
    for i, key in enumerate((f"sweep:transfer_refund:{tid}", f"sys:transfer_refund:{tid}",
                             f"sweep:transfer_refund:{tid + 1}", f"sys:transfer_refund:{tid + 2}")):
        await transfers.send(ctx, key=key, sender_id=A + i % 2, recipient_id=C, amount=10, pin=PIN)
    packet = await red_packets.create(ctx, key="p", sender_id=C, kind="lucky", amount=300, shares=3, pin=PIN)
    pid = packet["packet_id"]
    await red_packets.claim(ctx, key=f"sweep:rp_refund:{pid}", packet_id=pid, user_id=A)
    await red_packets.claim(ctx, key=f"sys:rp_refund:{pid}", packet_id=pid, user_id=B)
    ctx.clock.advance(hours=25)
    refunded = await transfers.expire_due(ctx)
    assert len(refunded) == 5
    expired = await red_packets.expire_due(ctx)
    assert len(expired) == 1 and expired[0]["refunded"] > 0
    assert await wallet_balance(ctx, A) + await wallet_balance(ctx, B) + await wallet_balance(ctx, C) == 30_000


async def test_a_send_keyed_like_a_settlement_leaves_the_withdrawal_to_settle(ctx):
    card = await make_person(ctx, A, balance=10_000)
    await make_person(ctx, B)
    ctx.bank.fail_next("payout", errors.BankTimeout, outcome="succeeded")
    with pytest.raises(errors.BankTimeout) as timed_out:
        await cards.withdraw(ctx, key="w", user_id=A, card_id=card["card_id"], amount=1_000, pin=PIN)
    op_id = timed_out.value.op_id
    for key in (f"bank_op:{op_id}:settle", f"sys:bank_op:{op_id}:settle"):
        await transfers.send(ctx, key=key, sender_id=A, recipient_id=B, amount=10, pin=PIN)
    ctx.clock.advance(seconds=120)
    settled = await cards.reconcile(ctx)
    assert [(s["op_id"], s["status"]) for s in settled] == [(op_id, "succeeded")]


async def test_one_bad_item_does_not_stop_a_sweep(ctx):
    for uid in (A, B):
        await make_person(ctx, uid, balance=10_000)
    sent = [await transfers.send(ctx, key=f"t{i}", sender_id=A, recipient_id=B, amount=100, pin=PIN) for i in range(3)]
    bad = sent[0]["transfer_id"]

    async def empty_escrow(conn):  # an escrow that cannot pay: the refund of `bad` must fail alone
        acc = (await conn.execute(accounts.insert().values(kind="system", code="broken", shard=0, balance=0)
                                  .returning(accounts.c.id))).scalar_one()
        old = (await conn.execute(select(transfers_table.c.escrow_account_id)
                                  .where(transfers_table.c.id == bad))).scalar_one()
        await conn.execute(update(transfers_table).where(transfers_table.c.id == bad).values(escrow_account_id=acc))
        return old

    escrow = await transaction(ctx, empty_escrow)
    ctx.clock.advance(hours=25)
    refunded = await transfers.expire_due(ctx)
    assert sorted(r["transfer_id"] for r in refunded) == [s["transfer_id"] for s in sent[1:]]
    await transaction(ctx, lambda conn: conn.execute(
        update(transfers_table).where(transfers_table.c.id == bad).values(escrow_account_id=escrow)))
    assert [r["transfer_id"] for r in await transfers.expire_due(ctx)] == [bad]
    assert await wallet_balance(ctx, A) == 10_000


async def test_one_failing_sweep_does_not_stop_the_others(ctx, monkeypatch):
    from jobs import sweeps

    card = await make_person(ctx, A, balance=10_000)
    ctx.bank.fail_next("payout", errors.BankTimeout, outcome="succeeded")
    with pytest.raises(errors.BankTimeout):
        await cards.withdraw(ctx, key="w", user_id=A, card_id=card["card_id"], amount=1_000, pin=PIN)
    ctx.clock.advance(seconds=120)

    async def broken(ctx_, **kwargs):
        raise RuntimeError("transfers sweep broke")

    monkeypatch.setattr(sweeps.transfers, "expire_due", broken)
    told = []

    class Bot:  # a bot that only records what it was asked to send
        async def send_message(self, chat_id, text, parse_mode=None, reply_markup=None):
            told.append((chat_id, text))

    result = await sweeps.sweep_once(SimpleNamespace(bot_data={"wallet": ctx}, bot=Bot()))
    assert [op["status"] for op in result["bank_ops"]] == ["succeeded"]
    assert [chat for chat, _ in told] == [A]


async def test_the_same_key_from_two_people_is_two_keys(ctx):
    for uid in (A, B, C):
        await make_person(ctx, uid, balance=10_000)
    assert await people.freeze(ctx, key="k", user_id=A) == {"user_id": A, "frozen": True}
    assert await people.freeze(ctx, key="k", user_id=B) == {"user_id": B, "frozen": True}
    assert (await people.profile(ctx, B))["frozen"]
    await people.unfreeze(ctx, key="u", user_id=A, pin=PIN, sms_code=await _code(ctx, A), id_number=_id(A))
    await people.unfreeze(ctx, key="u", user_id=B, pin=PIN, sms_code=await _code(ctx, B), id_number=_id(B))
    t = await transfers.send(ctx, key="s", sender_id=A, recipient_id=B, amount=100, pin=PIN)
    accepted = await transfers.accept(ctx, key="acc", user_id=B, transfer_id=t["transfer_id"])
    assert accepted["status"] == "accepted"
    with pytest.raises(errors.NotYourTransfer):  # a stranger reusing the recipient's key
        await transfers.accept(ctx, key="acc", user_id=C, transfer_id=t["transfer_id"])
    with pytest.raises(errors.NotYourTransfer):
        await transfers.give_back(ctx, key="acc", user_id=C, transfer_id=t["transfer_id"])


async def _code(ctx, uid):
    from tests.wallet.helpers import phone_for
    from wallet.services import sms_codes

    ctx.clock.advance(seconds=ctx.rules.sms_resend_seconds)
    await sms_codes.request_code(ctx, phone=phone_for(uid), purpose="unfreeze")
    return ctx.sms.last_code(phone_for(uid))


def _id(uid):
    from tests.wallet.helpers import id_for

    return id_for(uid)


# --- 4. unusable keys are refused before anything leaves the process ---------------------------
class CountingBank(SandboxBank):
    """The sandbox bank, counting what it was asked to move."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    async def charge(self, token, amount, key):
        self.calls += 1
        return await super().charge(token, amount, key)

    async def payout(self, token, amount, key):
        self.calls += 1
        return await super().payout(token, amount, key)


BAD_KEYS = ["", "k" * 161, "a\x00b", "two words", None, 17]


@pytest.mark.parametrize("key", BAD_KEYS, ids=["empty", "161", "nul", "space", "none", "int"])
async def test_a_bad_key_is_refused_before_the_bank_or_the_database(ctx, key):
    card = await make_person(ctx, A, balance=10_000)
    await make_person(ctx, B)
    ctx.bank = bank = CountingBank()
    with pytest.raises(errors.InvalidKey):
        await cards.top_up(ctx, key=key, user_id=A, card_id=card["card_id"], amount=100, pin=PIN)
    with pytest.raises(errors.InvalidKey):
        await cards.withdraw(ctx, key=key, user_id=A, card_id=card["card_id"], amount=100, pin=PIN)
    with pytest.raises(errors.InvalidKey):
        await transfers.send(ctx, key=key, sender_id=A, recipient_id=B, amount=100, pin=PIN)
    with pytest.raises(errors.InvalidKey):
        await red_packets.create(ctx, key=key, sender_id=A, kind="lucky", amount=100, shares=2, pin=PIN)
    with pytest.raises(errors.InvalidKey):
        await people.freeze(ctx, key=key, user_id=A)
    assert bank.calls == 0
    assert await read(ctx, lambda conn: _count(conn, bank_ops)) == 1  # the funding top-up only
    assert await wallet_balance(ctx, A) == 10_000


async def _count(conn, table):
    from sqlalchemy import func

    return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


# --- 5. amounts are plain positive ints within the maximum, checked first ---------------------
BAD_AMOUNTS = [1.5, 1.0, True, Decimal("1"), "100", 0, -1, 2**63 - 1, 10**11]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
async def test_an_unusable_amount_is_refused_before_any_effect(ctx, amount):
    card = await make_person(ctx, A, balance=10_000)
    await make_person(ctx, B)
    ctx.bank = bank = CountingBank()
    with pytest.raises(errors.InvalidAmount):
        await transfers.send(ctx, key="s", sender_id=A, recipient_id=B, amount=amount, pin=PIN)
    with pytest.raises(errors.InvalidAmount):
        await cards.top_up(ctx, key="t", user_id=A, card_id=card["card_id"], amount=amount, pin=PIN)
    with pytest.raises(errors.InvalidAmount):
        await cards.withdraw(ctx, key="w", user_id=A, card_id=card["card_id"], amount=amount, pin=PIN)
    with pytest.raises(errors.InvalidAmount):
        await red_packets.create(ctx, key="p", sender_id=A, kind="lucky", amount=amount, shares=1, pin=PIN)
    assert bank.calls == 0
    assert await wallet_balance(ctx, A) == 10_000


@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "general_path"])
async def test_a_float_amount_never_reaches_the_ledger(ctx, monkeypatch, fast):
    monkeypatch.setattr(transfer_fastpath, "FAST_PATH", fast)
    await make_person(ctx, A, balance=10_000)
    await make_person(ctx, B)
    with pytest.raises(errors.InvalidAmount):
        await transfers.send(ctx, key="half", sender_id=A, recipient_id=B, amount=1.5, pin=None, pin_checked=True)
    assert await wallet_balance(ctx, A) == 10_000


async def test_the_ledger_refuses_legs_that_are_not_ints(ctx):
    await make_person(ctx, A, balance=1_000)

    async def post(conn, amount):
        wallet = await ledger.wallet_account(conn, A)
        clearing = await ledger.system_account(ctx, conn, "bank_clearing", spread_by=A)
        await ledger.post(conn, key="sys:test", kind="topup", legs=[(clearing, -amount), (wallet, amount)],
                          now=ctx.now(), user_id=A)

    for amount in (1.5, Decimal("2"), True):
        with pytest.raises(TypeError):
            await transaction(ctx, lambda conn, amount=amount: post(conn, amount))
    assert await wallet_balance(ctx, A) == 1_000
