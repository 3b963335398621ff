"""Paying with money from a card when the balance is short (wallet/services/funded.py), on the
real database: both choices, a declined card, a time-out, a refusal after the charge, a wrong
PIN, a replay, and concurrent retries of one key."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from tests.wallet.helpers import PIN, audit_failures, card_for, make_person, wallet_balance
from wallet import errors
from wallet.models import bank_ops, transfers as transfers_t
from wallet.services import cards, funded, red_packets, transfers
from wallet.uow import read


@pytest.fixture
async def pair(ctx):
    card = await make_person(ctx, 1, balance=300)
    await make_person(ctx, 2)
    return card


def send(ctx, amount=1_000, recipient=2):
    async def pay(key):
        return await transfers.send(ctx, key=key, sender_id=1, recipient_id=recipient, amount=amount, pin=None,
                                    pin_checked=True)
    return pay


async def charges(ctx) -> list[tuple[int, str]]:
    rows = await read(ctx, lambda conn: conn.execute(select(bank_ops.c.amount, bank_ops.c.status)
                                                      .where(bank_ops.c.kind == "charge", bank_ops.c.user_id == 1)
                                                      .order_by(bank_ops.c.id)))
    return [tuple(r) for r in rows]


async def sent_count(ctx) -> int:
    return await read(ctx, lambda conn: conn.scalar(select(func.count()).select_from(transfers_t)))


async def test_top_up_the_shortfall_and_pay(ctx, pair):
    done = await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=700, pin=PIN,
                                   pay=send(ctx))
    assert done["top_up"]["amount"] == 700 and done["top_up"]["last4"] == card_for(1)[-4:]
    assert done["paid"]["amount"] == 1_000 and done["paid"]["status"] == "pending"
    assert await wallet_balance(ctx, 1) == 0
    assert await charges(ctx) == [(300, "succeeded"), (700, "succeeded")]
    assert await audit_failures(ctx) == ""


async def test_pay_with_the_card_leaves_the_balance_alone(ctx, pair):
    done = await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=1_000, pin=PIN,
                                   pay=send(ctx))
    assert done["paid"]["amount"] == 1_000
    assert await wallet_balance(ctx, 1) == 300
    assert await audit_failures(ctx) == ""


async def test_a_declined_card_pays_nothing_and_the_same_key_may_try_again(ctx, pair):
    ctx.bank.fail_next("charge", "insufficient_funds")
    with pytest.raises(errors.BankDeclined):
        await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=700, pin=PIN,
                                pay=send(ctx))
    assert await wallet_balance(ctx, 1) == 300 and await sent_count(ctx) == 0
    assert await charges(ctx) == [(300, "succeeded"), (700, "failed")]
    assert await audit_failures(ctx) == ""


async def test_a_bank_time_out_pays_nothing_and_the_top_up_settles_later(ctx, pair):
    ctx.bank.fail_next("charge", errors.BankTimeout, outcome="succeeded")
    with pytest.raises(errors.BankTimeout):
        await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=700, pin=PIN,
                                pay=send(ctx))
    assert await sent_count(ctx) == 0 and await wallet_balance(ctx, 1) == 300
    ctx.clock.advance(seconds=120)
    settled = await cards.reconcile(ctx)
    assert [s["status"] for s in settled] == ["succeeded"]
    assert await wallet_balance(ctx, 1) == 1_000 and await sent_count(ctx) == 0  # topped up, never paid
    assert await audit_failures(ctx) == ""


async def test_a_refusal_after_the_charge_keeps_the_money_in_the_balance(ctx, pair):
    with pytest.raises(errors.PaymentRefusedAfterCharge) as caught:  # nobody 9 has a wallet
        await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=700, pin=PIN,
                                pay=send(ctx, recipient=9))
    assert caught.value.amount == 700 and caught.value.reason == errors.WalletNotOpen.code
    assert isinstance(caught.value.__cause__, errors.WalletNotOpen)
    assert await wallet_balance(ctx, 1) == 1_000 and await sent_count(ctx) == 0
    assert await audit_failures(ctx) == ""


async def test_a_wrong_pin_charges_nothing(ctx, pair):
    with pytest.raises(errors.PinWrong):
        await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=700, pin="000000",
                                pay=send(ctx))
    assert await charges(ctx) == [(300, "succeeded")] and await sent_count(ctx) == 0


async def test_a_replay_charges_and_pays_once(ctx, pair):
    first = await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=700, pin=PIN,
                                    pay=send(ctx))
    again = await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=700, pin=PIN,
                                    pay=send(ctx))
    assert again == first
    assert await charges(ctx) == [(300, "succeeded"), (700, "succeeded")] and await sent_count(ctx) == 1
    assert await audit_failures(ctx) == ""


async def test_concurrent_retries_of_one_key_charge_and_pay_once(ctx, pair):
    results = await asyncio.gather(*(funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"],
                                                       top_up=700, pin=PIN, pay=send(ctx)) for _ in range(5)),
                                   return_exceptions=True)
    ok = [r for r in results if isinstance(r, dict)]
    assert ok and all(r["paid"]["transfer_id"] == ok[0]["paid"]["transfer_id"] for r in ok)
    assert all(isinstance(r, (dict, errors.WalletError)) for r in results), results
    assert await charges(ctx) == [(300, "succeeded"), (700, "succeeded")] and await sent_count(ctx) == 1
    assert await wallet_balance(ctx, 1) == 0
    assert await audit_failures(ctx) == ""


async def test_a_red_packet_paid_by_card(ctx, pair):
    async def pay(key):
        return await red_packets.create(ctx, key=key, sender_id=1, kind="lucky", amount=1_000, shares=3,
                                        pin=None, chat_id=-5, pin_checked=True)
    done = await funded.pay_funded(ctx, key="k1", user_id=1, card_id=pair["card_id"], top_up=1_000, pin=PIN, pay=pay)
    assert done["paid"]["total"] == 1_000 and await wallet_balance(ctx, 1) == 300
    assert await audit_failures(ctx) == ""
