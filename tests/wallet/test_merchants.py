"""Merchants on the real database: shops, collection codes, paying them, daily collections.
The ``ctx`` fixture runs the audit (including the payments invariant) after every test."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.wallet.helpers import PIN, make_person, wallet_balance
from wallet import errors
from wallet.models import journal, payments
from wallet.services import bills, merchants, people, transfers
from wallet.uow import read

SHOP, PAYER, OTHER = 201, 202, 203


async def count(ctx, table, *cond):
    async def body(conn):
        stmt = select(func.count()).select_from(table)
        if cond:
            stmt = stmt.where(*cond)
        return (await conn.execute(stmt)).scalar_one()
    return await read(ctx, body)


@pytest.fixture
async def shop(ctx):
    await make_person(ctx, SHOP)
    await make_person(ctx, PAYER, balance=50_000)
    return await merchants.register_shop(ctx, key="shop-1", owner_id=SHOP, name=" 老王面馆 ", category="food")


def set_clock(ctx, when: datetime) -> None:
    ctx.clock.advance(seconds=(when - ctx.now()).total_seconds())


# --- shops and codes -----------------------------------------------------------------------
async def test_a_new_shop_has_an_open_code_fit_for_a_deep_link(ctx, shop):
    assert shop["name"] == "老王面馆" and shop["category"] == "food" and shop["owner_id"] == SHOP
    code = shop["code"]
    assert code["kind"] == "shop" and code["amount"] is None and code["status"] == "active"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code["payload"]) and code["payload"] == "pay_" + code["code"]
    assert len(code["code"]) == 22  # 128 random bits
    assert merchants.code_from_payload(code["payload"]) == code["code"]
    assert merchants.code_from_payload("pay_x") is None and merchants.code_from_payload("start") is None
    # a double tap registers one shop
    again = await merchants.register_shop(ctx, key="shop-1", owner_id=SHOP, name="老王面馆", category="food")
    assert again == shop
    assert [s["shop_id"] for s in await merchants.shops_of(ctx, SHOP)] == [shop["shop_id"]]
    codes = {(await merchants.create_code(ctx, key=f"c{i}", owner_id=SHOP, shop_id=shop["shop_id"]))["code"]
             for i in range(20)}
    assert len(codes) == 20  # never the same code twice


async def test_only_a_verified_active_wallet_registers_a_shop_with_a_sensible_name(ctx):
    await make_person(ctx, OTHER, verified=False)
    with pytest.raises(errors.NotVerified):
        await merchants.register_shop(ctx, key="s1", owner_id=OTHER, name="店", category="food")
    with pytest.raises(errors.WalletNotOpen):
        await merchants.register_shop(ctx, key="s2", owner_id=999, name="店", category="food")
    await make_person(ctx, SHOP)
    for name, reason in (("  ", "name_empty"), ("x" * 41, "name_too_long"), ("a\u0000b", "name_chars")):
        with pytest.raises(errors.ShopInvalid) as e:
            await merchants.register_shop(ctx, key="s3", owner_id=SHOP, name=name, category="food")
        assert e.value.reason == reason
    with pytest.raises(errors.ShopInvalid) as e:
        await merchants.register_shop(ctx, key="s4", owner_id=SHOP, name="店", category="casino")
    assert e.value.reason == "category"
    await people.freeze(ctx, key="f", user_id=SHOP)
    with pytest.raises(errors.AccountFrozen):
        await merchants.register_shop(ctx, key="s5", owner_id=SHOP, name="店", category="food")
    assert await merchants.shops_of(ctx, SHOP) == []


async def test_codes_of_a_shop_belong_to_its_owner(ctx, shop):
    await make_person(ctx, OTHER)
    with pytest.raises(errors.NotYourShop):
        await merchants.create_code(ctx, key="x", owner_id=OTHER, shop_id=shop["shop_id"])
    with pytest.raises(errors.ShopNotFound):
        await merchants.create_code(ctx, key="y", owner_id=SHOP, shop_id=9999)
    with pytest.raises(errors.NotYourPayCode):
        await merchants.revoke_code(ctx, key="z", owner_id=OTHER, code=shop["code"]["code"])
    for bad in (0, -5, 1.5, "100", True):
        with pytest.raises(errors.InvalidAmount):
            await merchants.create_code(ctx, key=f"a{bad!r}", owner_id=SHOP, shop_id=shop["shop_id"], amount=bad)


# --- paying a shop -------------------------------------------------------------------------
async def test_paying_a_fixed_amount_code_moves_the_money_at_once(ctx, shop):
    code = await merchants.create_code(ctx, key="c", owner_id=SHOP, shop_id=shop["shop_id"], amount=1_250,
                                       label="牛肉面")
    seen = await merchants.lookup(ctx, code["code"])
    assert seen["shop_name"] == "老王面馆" and seen["amount"] == 1_250 and seen["kind"] == "shop"
    assert seen["status"] == "active" and seen["category"] == "food"

    with pytest.raises(errors.PayAmountMismatch) as e:
        await merchants.pay(ctx, key="p0", payer_id=PAYER, code=code["code"], amount=1_000, pin=PIN)
    assert (e.value.expected, e.value.given) == (1_250, 1_000)
    paid = await merchants.pay(ctx, key="p1", payer_id=PAYER, code=code["code"], pin=PIN)
    assert paid["kind"] == "shop" and paid["amount"] == 1_250 and paid["merchant_id"] == SHOP
    assert paid["shop_name"] == "老王面馆"
    assert await wallet_balance(ctx, PAYER) == 50_000 - 1_250
    assert await wallet_balance(ctx, SHOP) == 1_250
    # the same amount given explicitly is fine too
    await merchants.pay(ctx, key="p2", payer_id=PAYER, code=code["code"], amount=1_250, pin=PIN)
    assert await wallet_balance(ctx, SHOP) == 2_500
    assert await count(ctx, journal, journal.c.kind == "pay") == 2

    # both sides' bills show it as a payment
    payer_line = (await bills.bills(ctx, PAYER, kind="payment"))["items"][0]
    assert payer_line["amount"] == -1_250 and payer_line["counterparty_id"] == SHOP
    assert payer_line["shop_name"] == "老王面馆" and payer_line["ref_status"] == "paid"
    shop_line = (await bills.bills(ctx, SHOP, kind="payment"))["items"][0]
    assert shop_line["amount"] == 1_250 and shop_line["counterparty_id"] == PAYER
    assert shop_line["counterparty_name"] == f"User{PAYER}"


async def test_an_open_code_takes_the_amount_the_payer_types(ctx, shop):
    code = shop["code"]["code"]
    with pytest.raises(errors.PayAmountRequired):
        await merchants.pay(ctx, key="p0", payer_id=PAYER, code=code, pin=PIN)
    for bad in (0, -1, 2.5, "12"):
        with pytest.raises(errors.InvalidAmount):
            await merchants.pay(ctx, key="p1", payer_id=PAYER, code=code, amount=bad, pin=PIN)
    paid = await merchants.pay(ctx, key="p2", payer_id=PAYER, code=code, amount=3_333, pin=PIN)
    assert paid["amount"] == 3_333
    assert await wallet_balance(ctx, SHOP) == 3_333


async def test_revoked_and_unknown_codes_say_so_and_pay_nothing(ctx, shop):
    code = shop["code"]["code"]
    done = await merchants.revoke_code(ctx, key="r", owner_id=SHOP, code=code)
    assert done["status"] == "revoked"
    assert await merchants.revoke_code(ctx, key="r", owner_id=SHOP, code=code) == done
    assert (await merchants.revoke_code(ctx, key="r2", owner_id=SHOP, code=code))["status"] == "revoked"
    with pytest.raises(errors.PayCodeRevoked):
        await merchants.lookup(ctx, code)
    with pytest.raises(errors.PayCodeRevoked):
        await merchants.pay(ctx, key="p", payer_id=PAYER, code=code, amount=100, pin=PIN)
    for unknown in ("A" * 22, "x", "../../etc", "a" * 100, "", None):
        with pytest.raises(errors.PayCodeNotFound):
            await merchants.lookup(ctx, unknown)
        with pytest.raises(errors.PayCodeNotFound):
            await merchants.pay(ctx, key="q", payer_id=PAYER, code=unknown, amount=100, pin=PIN)
    assert await merchants.codes_of(ctx, SHOP, shop_id=shop["shop_id"]) == []
    assert len(await merchants.codes_of(ctx, SHOP, shop_id=shop["shop_id"], include_revoked=True)) == 1
    assert await wallet_balance(ctx, PAYER) == 50_000 and await count(ctx, payments) == 0


async def test_paying_ones_own_shop_is_refused(ctx, shop):
    await make_person(ctx, OTHER)
    with pytest.raises(errors.PayOwnCode):
        await merchants.pay(ctx, key="p", payer_id=SHOP, code=shop["code"]["code"], amount=100, pin=PIN)
    assert await count(ctx, payments) == 0


async def test_the_pin_is_checked_first_and_a_wrong_one_pays_nothing(ctx, shop):
    with pytest.raises(errors.PinWrong):
        await merchants.pay(ctx, key="p", payer_id=PAYER, code=shop["code"]["code"], amount=100, pin="000000")
    with pytest.raises(errors.PinWrong):  # before the code is even looked at
        await merchants.pay(ctx, key="p", payer_id=PAYER, code="A" * 22, amount=100, pin="000000")
    assert await wallet_balance(ctx, PAYER) == 50_000


async def test_a_repeated_key_replays_and_a_changed_request_is_refused(ctx, shop):
    code = shop["code"]["code"]
    first = await merchants.pay(ctx, key="k", payer_id=PAYER, code=code, amount=700, pin=PIN)
    assert await merchants.pay(ctx, key="k", payer_id=PAYER, code=code, amount=700, pin=PIN) == first
    await merchants.revoke_code(ctx, key="r", owner_id=SHOP, code=code)
    # a retry of a payment that went through still answers with it after the code is revoked
    assert await merchants.pay(ctx, key="k", payer_id=PAYER, code=code, amount=700, pin=PIN) == first
    code2 = (await merchants.create_code(ctx, key="c2", owner_id=SHOP, shop_id=shop["shop_id"]))["code"]
    with pytest.raises(errors.IdempotencyConflict):
        await merchants.pay(ctx, key="k", payer_id=PAYER, code=code2, amount=800, pin=PIN)
    assert await wallet_balance(ctx, SHOP) == 700 and await count(ctx, payments) == 1


async def test_not_enough_money_or_a_frozen_payer_pays_nothing(ctx, shop):
    code = shop["code"]["code"]
    with pytest.raises(errors.InsufficientBalance):
        await merchants.pay(ctx, key="p", payer_id=PAYER, code=code, amount=50_001, pin=PIN)
    await people.freeze(ctx, key="f", user_id=PAYER)
    with pytest.raises(errors.AccountFrozen):
        await merchants.pay(ctx, key="p2", payer_id=PAYER, code=code, amount=100, pin=PIN)
    await make_person(ctx, OTHER, verified=False)
    with pytest.raises(errors.NotVerified):
        await merchants.pay(ctx, key="p3", payer_id=OTHER, code=code, amount=100, pin=None, pin_checked=True)
    assert await count(ctx, payments) == 0 and await wallet_balance(ctx, SHOP) == 0


async def test_a_frozen_merchant_collects_nothing_new(ctx, shop):
    code = shop["code"]["code"]
    await people.freeze(ctx, key="f", user_id=SHOP)
    with pytest.raises(errors.PayCodeUnavailable) as e:
        await merchants.lookup(ctx, code)
    assert e.value.reason == "frozen"
    with pytest.raises(errors.PayCodeUnavailable):
        await merchants.pay(ctx, key="p", payer_id=PAYER, code=code, amount=100, pin=PIN)
    assert await wallet_balance(ctx, PAYER) == 50_000


async def test_payments_count_against_the_daily_cap(ctx, shop):
    ctx.rules = ctx.rules.model_copy(update={"daily_cap_verified": 10_000})
    await transfers.send(ctx, key="t", sender_id=PAYER, recipient_id=SHOP, amount=6_000, pin=PIN)
    with pytest.raises(errors.LimitExceeded):
        await merchants.pay(ctx, key="p", payer_id=PAYER, code=shop["code"]["code"], amount=4_001, pin=PIN)
    await merchants.pay(ctx, key="p2", payer_id=PAYER, code=shop["code"]["code"], amount=4_000, pin=PIN)
    with pytest.raises(errors.LimitExceeded) as e:  # and transfers see the payment
        await transfers.send(ctx, key="t2", sender_id=PAYER, recipient_id=SHOP, amount=1, pin=PIN)
    assert e.value.used == 10_000


# --- personal receive code (收款码) ---------------------------------------------------------
async def test_a_personal_code_is_a_transfer_accepted_at_once(ctx, shop):
    mine = await merchants.create_code(ctx, key="pc", owner_id=SHOP, amount=888, label="AA 饭钱")
    assert mine["kind"] == "personal" and mine["shop_id"] is None
    seen = await merchants.lookup(ctx, mine["code"])
    assert seen["kind"] == "personal" and seen["payee_name"] == f"User{SHOP}"
    assert seen["payee_real_name"].endswith(seen["payee_real_name"][-1]) and seen["payee_real_name"].startswith("*")
    paid = await merchants.pay(ctx, key="pp", payer_id=PAYER, code=mine["code"], pin=PIN)
    assert paid["kind"] == "personal" and paid["status"] == "accepted" and paid["amount"] == 888
    assert await wallet_balance(ctx, SHOP) == 888 and await wallet_balance(ctx, PAYER) == 50_000 - 888
    t = await transfers.get(ctx, paid["transfer_id"], viewer_id=SHOP)
    assert t["status"] == "accepted" and t["note"] == "AA 饭钱"
    # a retry replays both steps and moves nothing more
    assert await merchants.pay(ctx, key="pp", payer_id=PAYER, code=mine["code"], pin=PIN) == paid
    assert await wallet_balance(ctx, SHOP) == 888
    assert [ln["kind"] for ln in (await bills.bills(ctx, SHOP))["items"]][0] == "transfer_accept"
    with pytest.raises(errors.PayOwnCode):
        await merchants.pay(ctx, key="own", payer_id=SHOP, code=mine["code"], pin=PIN)
    with pytest.raises(errors.PayAmountMismatch):
        await merchants.pay(ctx, key="pm", payer_id=PAYER, code=mine["code"], amount=1, pin=PIN)
    assert [c["code"] for c in await merchants.codes_of(ctx, SHOP, personal=True)] == [mine["code"]]


# --- collections -----------------------------------------------------------------------------
async def test_collection_summary_counts_by_local_day(ctx, shop):
    code = shop["code"]["code"]
    # 2026-12-01 23:30 and 2026-12-02 00:30 in Shanghai (UTC+8)
    set_clock(ctx, datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc))
    await merchants.pay(ctx, key="a", payer_id=PAYER, code=code, amount=100, pin=PIN)
    await merchants.pay(ctx, key="b", payer_id=PAYER, code=code, amount=250, pin=PIN)
    set_clock(ctx, datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc))
    await merchants.pay(ctx, key="c", payer_id=PAYER, code=code, amount=1_000, pin=PIN)
    s = await merchants.collection_summary(ctx, owner_id=SHOP, shop_id=shop["shop_id"],
                                           first=date(2026, 11, 30), last=date(2026, 12, 2))
    assert s["count"] == 3 and s["total"] == 1_350
    assert s["days"] == [{"day": "2026-11-30", "count": 0, "total": 0},
                         {"day": "2026-12-01", "count": 2, "total": 350},
                         {"day": "2026-12-02", "count": 1, "total": 1_000}]
    today = await merchants.collection_summary(ctx, owner_id=SHOP, shop_id=shop["shop_id"])
    assert today["first"] == today["last"] == "2026-12-02" and today["total"] == 1_000
    assert await merchants.shops_with_collections(ctx, date(2026, 12, 1)) == [
        {"shop_id": shop["shop_id"], "owner_id": SHOP, "shop_name": "老王面馆", "day": "2026-12-01",
         "count": 2, "total": 350}]
    assert await merchants.shops_with_collections(ctx, date(2026, 11, 30)) == []
    with pytest.raises(errors.NotYourShop):
        await merchants.collection_summary(ctx, owner_id=PAYER, shop_id=shop["shop_id"])


async def test_a_personal_payment_cut_short_after_the_send_is_finished_by_the_retry(ctx, shop):
    from wallet.services.subkeys import step_key

    mine = await merchants.create_code(ctx, key="pc", owner_id=SHOP, amount=500)
    key = "k" * 160  # the longest key: the step keys still fit
    # the first attempt sent the transfer and stopped there (a crash before the accept)
    sent = await transfers.send(ctx, key=step_key(key, "send"), sender_id=PAYER, recipient_id=SHOP, amount=500,
                                pin=None, pin_checked=True)
    assert (await transfers.get(ctx, sent["transfer_id"], viewer_id=SHOP))["status"] == "pending"
    paid = await merchants.pay(ctx, key=key, payer_id=PAYER, code=mine["code"], pin=PIN)
    assert paid["transfer_id"] == sent["transfer_id"] and paid["status"] == "accepted"
    assert await wallet_balance(ctx, SHOP) == 500 and await wallet_balance(ctx, PAYER) == 50_000 - 500
