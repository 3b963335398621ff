"""Bank cards on the real database: binding with real-name verification, unbinding, top-up,
withdrawal with fees, and reconciliation of bank operations whose outcome was unknown.
Sandbox test cards: wallet/SANDBOX_CARDS.md."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tests.wallet.helpers import PIN, bind, card_for, id_for, make_person, name_for, phone_for, wallet_balance
from wallet import errors
from wallet.idnumber import validate_id_number
from wallet.models import bank_ops, metadata, users
from wallet.services import cards, people, sms_codes, transfers
from wallet.uow import read

OK_DEBIT = "6217000000000000020"  # CCB
CREDIT = "6253300000000013"  # ICBC credit
VISA = "4111111111111111"
BAD_LUHN = "6222020000000000019"
IDENTITY_MISMATCH = "6222020000000000992"
CHARGE_DECLINED = "6227000000000000227"
PAYOUT_DECLINED = "6225880000000000119"
TIMEOUT = "6222020000000000331"
TIMEOUT_FAIL = "6228480000000000448"


async def user_row(ctx, user_id):
    async def body(conn):
        return (await conn.execute(select(users).where(users.c.id == user_id))).one()
    return await read(ctx, body)


async def op_row(ctx, op_id):
    async def body(conn):
        return (await conn.execute(select(bank_ops).where(bank_ops.c.id == op_id))).one()
    return await read(ctx, body)


async def bank_op_rows(ctx):
    async def body(conn):
        return list(await conn.execute(select(bank_ops).order_by(bank_ops.c.id)))
    return await read(ctx, body)


async def every_stored_value(ctx) -> list[str]:
    async def body(conn):
        values = []
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                values += [str(v) for v in row if v is not None]
        return values
    return await read(ctx, body)


async def fresh_code(ctx, phone, card):
    """A code for ``card`` sent straight to ``phone``, past the bank's check before sending (the
    bank's check when the code comes back is what these tests are about)."""
    ctx.clock.advance(seconds=ctx.rules.sms_resend_seconds)
    await sms_codes.request_code(ctx, phone=phone, purpose=cards.bind_purpose(ctx, card))
    return ctx.sms.last_code(phone)


async def bind_as(ctx, *, key, user_id, card, identity_of, phone=None, code=None):
    """Bind ``card`` for ``user_id`` claiming the name and ID number of ``identity_of``."""
    phone = phone or phone_for(user_id)
    code = code or await fresh_code(ctx, phone, card)
    return await cards.bind_card(ctx, key=key, user_id=user_id, card_number=card, name=name_for(identity_of),
                                 id_number=id_for(identity_of), phone=phone, sms_code=code)


async def opened(ctx, user_id):
    await people.open_wallet(ctx, key=f"open-{user_id}", user_id=user_id)


def wrong(code):
    return f"{(int(code) + 1) % 10**6:06d}"


# --- binding -----------------------------------------------------------------------------------
async def test_bind_verifies_the_person_and_keeps_pii_encrypted(ctx):
    await opened(ctx, 1)
    assert (await people.profile(ctx, 1))["verified"] is False
    card = await bind(ctx, 1)
    number = card_for(1)
    assert card["bank_code"] == "ICBC" and card["card_type"] == "debit" and card["last4"] == number[-4:]
    assert await cards.list_cards(ctx, 1) == [{**card, "default": False}]

    prof = await people.profile(ctx, 1)
    assert prof["verified"] is True
    assert prof["phone"] == "139****0001"
    assert prof["id_number"] == validate_id_number(id_for(1)).masked != id_for(1)
    assert "*" in prof["id_number"]

    row = await user_row(ctx, 1)
    for column in ("phone_enc", "id_number_enc", "real_name_enc"):
        assert row._mapping[column] is not None
    assert ctx.pii.decrypt(row.phone_enc) == phone_for(1)
    assert ctx.pii.decrypt(row.id_number_enc) == id_for(1)
    assert ctx.pii.decrypt(row.real_name_enc) == name_for(1)
    # no table anywhere holds the ID number, the phone, the name or the full card number in clear
    stored = await every_stored_value(ctx)
    for secret in (id_for(1), phone_for(1), number, name_for(1), number[:-4]):
        assert not [v for v in stored if secret in v], secret


async def test_card_numbers_may_be_typed_with_spaces(ctx):
    await opened(ctx, 1)
    spaced = " ".join(OK_DEBIT[i:i + 4] for i in range(0, len(OK_DEBIT), 4))
    card = await bind_as(ctx, key="b", user_id=1, card=spaced, identity_of=1)
    assert (card["bank_code"], card["last4"]) == ("CCB", "0020")


async def test_unsupported_and_invalid_cards_are_refused_before_any_code(ctx):
    await opened(ctx, 1)
    with pytest.raises(errors.CardNotSupported) as e:
        await bind_as(ctx, key="v", user_id=1, card=VISA, identity_of=1, code="000000")
    assert e.value.bank == "VISA_INTL"
    with pytest.raises(errors.CardNotSupported) as e:
        await bind_as(ctx, key="p", user_id=1, card="6200000000000096", identity_of=1, code="000000")
    assert e.value.bank == "PREPAID"
    with pytest.raises(errors.CardInvalid) as e:
        await bind_as(ctx, key="l", user_id=1, card=BAD_LUHN, identity_of=1, code="000000")
    assert e.value.reason == "luhn"
    with pytest.raises(errors.CardInvalid) as e:
        await bind_as(ctx, key="f", user_id=1, card="62220200", identity_of=1, code="000000")
    assert e.value.reason == "format"
    assert (await people.profile(ctx, 1))["verified"] is False
    assert await cards.list_cards(ctx, 1) == []


async def test_identity_mismatch_card_of_the_sandbox(ctx):
    await opened(ctx, 1)
    with pytest.raises(errors.IdentityMismatch):
        await bind_as(ctx, key="b", user_id=1, card=IDENTITY_MISMATCH, identity_of=1)
    prof = await people.profile(ctx, 1)
    assert prof["verified"] is False and prof["id_number"] is None and prof["phone"] is None


async def test_a_card_registered_to_another_holder_is_refused(ctx):
    await make_person(ctx, 1)
    await opened(ctx, 2)
    with pytest.raises(errors.IdentityMismatch):  # person 2's name and ID on person 1's card
        await bind_as(ctx, key="b2", user_id=2, card=card_for(1), identity_of=2)
    assert (await people.profile(ctx, 2))["verified"] is False


async def test_a_second_card_must_carry_the_same_identity(ctx):
    await make_person(ctx, 1)
    with pytest.raises(errors.IdentityMismatch):
        await bind_as(ctx, key="b2", user_id=1, card=OK_DEBIT, identity_of=2)
    second = await bind_as(ctx, key="b3", user_id=1, card=OK_DEBIT, identity_of=1)
    assert [c["card_id"] for c in await cards.list_cards(ctx, 1)] == [1, second["card_id"]]
    row = await user_row(ctx, 1)
    assert ctx.pii.decrypt(row.id_number_enc) == id_for(1)


async def test_the_same_card_twice_is_refused(ctx):
    card = await make_person(ctx, 1)
    with pytest.raises(errors.CardAlreadyBound) as e:
        await bind(ctx, 1, key="again")
    assert e.value.last4 == card["last4"]
    assert len(await cards.list_cards(ctx, 1)) == 1


async def test_wrong_sms_code_is_refused_with_tries_left(ctx):
    await opened(ctx, 1)
    code = await fresh_code(ctx, phone_for(1), card_for(1))
    with pytest.raises(errors.SmsCodeWrong) as e:
        await bind_as(ctx, key="b", user_id=1, card=card_for(1), identity_of=1, code=wrong(code))
    assert e.value.tries_left == 4
    assert (await people.profile(ctx, 1))["verified"] is False
    await bind_as(ctx, key="b", user_id=1, card=card_for(1), identity_of=1, code=code)
    assert (await people.profile(ctx, 1))["verified"] is True


async def test_bind_replays_with_the_same_key_without_a_second_code(ctx):
    await opened(ctx, 1)
    first = await bind(ctx, 1, key="bind-once")
    again = await cards.bind_card(ctx, key="bind-once", user_id=1, card_number=card_for(1), name=name_for(1),
                                  id_number=id_for(1), phone=phone_for(1), sms_code="000000")
    assert again == first
    assert len(await cards.list_cards(ctx, 1)) == 1
    with pytest.raises(errors.IdempotencyConflict):  # the key with another card
        await cards.bind_card(ctx, key="bind-once", user_id=1, card_number=OK_DEBIT, name=name_for(1),
                              id_number=id_for(1), phone=phone_for(1), sms_code="000000")


async def test_someone_elses_card_with_their_name_and_id_from_my_phone_is_refused(ctx):
    """Bob knows Alice's name, ID number and card number: the bank holds Alice's phone for the
    card, so it sends Bob no code, and even a code Bob got some other way binds nothing."""
    alice, bob = 1, 2
    await make_person(ctx, alice)
    await opened(ctx, bob)
    ctx.clock.advance(seconds=61)
    with pytest.raises(errors.PhoneMismatch):
        await cards.send_bind_code(ctx, user_id=bob, card_number=card_for(alice), name=name_for(alice),
                                   id_number=id_for(alice), phone=phone_for(bob))
    assert ctx.sms.inbox(phone_for(bob)) == []
    with pytest.raises(errors.PhoneMismatch):  # the bank checks again when the code comes back
        await bind_as(ctx, key="steal", user_id=bob, card=card_for(alice), identity_of=alice)
    prof = await people.profile(ctx, bob)
    assert prof["verified"] is False and prof["id_number"] is None and prof["phone"] is None
    assert await cards.list_cards(ctx, bob) == []
    # Bob's own name and ID on Alice's card: the identity check, not the phone
    ctx.sms.clear()
    with pytest.raises(errors.IdentityMismatch):
        await cards.send_bind_code(ctx, user_id=bob, card_number=card_for(alice), name=name_for(bob),
                                   id_number=id_for(bob), phone=phone_for(bob))
    assert ctx.sms.inbox(phone_for(bob)) == []
    # Alice's own phone still binds it (to her wallet it is already bound: refused as such)
    with pytest.raises(errors.CardAlreadyBound):
        await bind(ctx, alice, key="again")


async def test_the_bank_refuses_before_any_code_is_sent(ctx):
    await opened(ctx, 1)
    with pytest.raises(errors.IdentityMismatch):
        await cards.send_bind_code(ctx, user_id=1, card_number=IDENTITY_MISMATCH, name=name_for(1),
                                   id_number=id_for(1), phone=phone_for(1))
    with pytest.raises(errors.CardNotSupported):
        await cards.send_bind_code(ctx, user_id=1, card_number=VISA, name=name_for(1),
                                   id_number=id_for(1), phone=phone_for(1))
    assert ctx.sms.inbox(phone_for(1)) == []


async def test_each_card_has_its_own_code(ctx):
    """Binding a card within 60 s of another card's code gets a code at once; a code is good for
    its own card only; the same card's code again within 60 s is "too soon" (the first still works)."""
    await make_person(ctx, 1)  # the first card's code was sent just now
    sent = await cards.send_another_code(ctx, user_id=1, card_number=OK_DEBIT)
    assert sent["phone"] == "139****0001" and sent["resend_in"] == 60
    ok_debit_code = ctx.sms.last_code(phone_for(1))
    other = "6216610000000000040"
    await cards.send_another_code(ctx, user_id=1, card_number=other)
    other_code = ctx.sms.last_code(phone_for(1))
    with pytest.raises(errors.SmsTooSoon) as e:
        await cards.send_another_code(ctx, user_id=1, card_number=OK_DEBIT)
    assert e.value.live is True and 0 < e.value.retry_after <= 60
    if other_code != ok_debit_code:
        with pytest.raises(errors.SmsCodeWrong):  # the other card's code does not bind this one
            await cards.bind_another(ctx, key="b-ok", user_id=1, card_number=OK_DEBIT, sms_code=other_code)
    bound = await cards.bind_another(ctx, key="b-ok", user_id=1, card_number=OK_DEBIT, sms_code=ok_debit_code)
    assert bound["last4"] == OK_DEBIT[-4:]
    assert (await cards.bind_another(ctx, key="b-other", user_id=1, card_number=other,
                                     sms_code=other_code))["last4"] == other[-4:]


async def test_another_card_of_a_wallet_checks_the_identity_on_file_before_the_code(ctx):
    await make_person(ctx, 1)
    await make_person(ctx, 2)
    with pytest.raises(errors.IdentityMismatch):  # person 2's card, person 1's identity
        await cards.send_another_code(ctx, user_id=1, card_number=card_for(2))
    with pytest.raises(errors.NotVerified):
        await opened(ctx, 3)
        await cards.send_another_code(ctx, user_id=3, card_number=OK_DEBIT)


async def test_a_phone_already_used_by_another_person_is_refused(ctx):
    await make_person(ctx, 1)
    await opened(ctx, 2)
    with pytest.raises(errors.PhoneTaken):  # before any code
        await cards.send_bind_code(ctx, user_id=2, card_number=card_for(2), name=name_for(2),
                                   id_number=id_for(2), phone=phone_for(1))
    with pytest.raises(errors.PhoneTaken):
        await bind_as(ctx, key="b2", user_id=2, card=card_for(2), identity_of=2, phone=phone_for(1))
    prof = await people.profile(ctx, 2)
    assert prof["verified"] is False and prof["phone"] is None
    assert await cards.list_cards(ctx, 2) == []
    # the bank never heard of it: person 2's own phone binds the card
    assert (await bind(ctx, 2))["last4"] == card_for(2)[-4:]


# --- unbinding ---------------------------------------------------------------------------------
async def test_unbinding_the_last_card_makes_the_wallet_unverified(ctx):
    await make_person(ctx, 1, balance=1_000)
    card2 = await make_person(ctx, 2, balance=1_000)
    extra = await bind_as(ctx, key="b2x", user_id=2, card=OK_DEBIT, identity_of=2)
    with pytest.raises(errors.PinWrong):
        await cards.unbind_card(ctx, key="u0", user_id=2, card_id=card2["card_id"], pin="246810")
    with pytest.raises(errors.CardNotFound):  # not someone else's card
        await cards.unbind_card(ctx, key="u1", user_id=1, card_id=card2["card_id"], pin=PIN)
    done = await cards.unbind_card(ctx, key="u2", user_id=2, card_id=card2["card_id"], pin=PIN)
    assert done == {"card_id": card2["card_id"], "cards_left": 1}
    assert (await people.profile(ctx, 2))["verified"] is True
    done = await cards.unbind_card(ctx, key="u3", user_id=2, card_id=extra["card_id"], pin=PIN)
    assert done["cards_left"] == 0
    assert await cards.list_cards(ctx, 2) == []
    assert (await people.profile(ctx, 2))["verified"] is False
    with pytest.raises(errors.NotVerified):  # cannot receive
        await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=100, pin=PIN)
    with pytest.raises(errors.NotVerified):  # cannot pay
        await transfers.send(ctx, key="t2", sender_id=2, recipient_id=1, amount=100, pin=PIN)
    with pytest.raises(errors.CardNotFound):  # already unbound
        await cards.unbind_card(ctx, key="u4", user_id=2, card_id=extra["card_id"], pin=PIN)
    # binding again verifies again
    await bind(ctx, 2, key="rebind")
    await transfers.send(ctx, key="t3", sender_id=1, recipient_id=2, amount=100, pin=PIN)


# --- top-up ------------------------------------------------------------------------------------
async def test_top_up_credits_the_wallet_and_replays(ctx):
    card = await make_person(ctx, 1)
    done = await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=12_345, pin=PIN)
    assert done["status"] == "succeeded" and done["amount"] == 12_345 and done["balance"] == 12_345
    assert done["last4"] == card["last4"]
    again = await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=12_345, pin=PIN)
    assert again == done
    assert await wallet_balance(ctx, 1) == 12_345
    with pytest.raises(errors.IdempotencyConflict):
        await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=1, pin=PIN)
    ops = await bank_op_rows(ctx)
    assert [(o.kind, o.amount, o.status) for o in ops] == [("charge", 12_345, "succeeded")]


async def test_top_up_refusals(ctx):
    card = await make_person(ctx, 1)
    for amount in (0, -5):
        with pytest.raises(errors.InvalidAmount):
            await cards.top_up(ctx, key=f"a{amount}", user_id=1, card_id=card["card_id"], amount=amount, pin=PIN)
    with pytest.raises(errors.PinWrong):
        await cards.top_up(ctx, key="pin", user_id=1, card_id=card["card_id"], amount=100, pin="246810")
    other = await make_person(ctx, 2)
    with pytest.raises(errors.CardNotFound):
        await cards.top_up(ctx, key="other", user_id=1, card_id=other["card_id"], amount=100, pin=PIN)
    assert await wallet_balance(ctx, 1) == 0
    assert await bank_op_rows(ctx) == []


async def test_declined_top_up_moves_no_money(ctx):
    await make_person(ctx, 1)
    card = await bind_as(ctx, key="bd", user_id=1, card=CHARGE_DECLINED, identity_of=1)
    with pytest.raises(errors.BankDeclined) as e:
        await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=5_000, pin=PIN)
    assert e.value.reason == "insufficient_funds"
    assert await wallet_balance(ctx, 1) == 0
    [op] = await bank_op_rows(ctx)
    assert (op.status, op.reason) == ("failed", "insufficient_funds")
    with pytest.raises(errors.BankDeclined):  # a retry with the key answers the same
        await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=5_000, pin=PIN)
    assert await wallet_balance(ctx, 1) == 0
    assert len(await bank_op_rows(ctx)) == 1


async def test_top_up_timeout_is_settled_by_reconcile_exactly_once(ctx):
    await make_person(ctx, 1)
    card = await bind_as(ctx, key="bt", user_id=1, card=TIMEOUT, identity_of=1)
    with pytest.raises(errors.BankTimeout) as e:
        await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=7_000, pin=PIN)
    op_id = e.value.op_id
    assert (await op_row(ctx, op_id)).status == "unknown"
    assert await wallet_balance(ctx, 1) == 0
    assert await cards.reconcile(ctx) == []  # not yet due
    ctx.clock.advance(seconds=61)
    settled = await cards.reconcile(ctx)
    assert settled == [{"op_id": op_id, "kind": "charge", "user_id": 1, "amount": 7_000, "status": "succeeded"}]
    assert await wallet_balance(ctx, 1) == 7_000
    assert await cards.reconcile(ctx) == []
    assert (await op_row(ctx, op_id)).status == "succeeded"
    # the person retrying the same key afterwards is not credited again
    done = await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=7_000, pin=PIN)
    assert done["balance"] == 7_000
    assert await wallet_balance(ctx, 1) == 7_000


async def test_concurrent_reconciles_settle_once(ctx):
    await make_person(ctx, 1)
    card = await bind_as(ctx, key="bt", user_id=1, card=TIMEOUT, identity_of=1)
    for i in range(3):
        with pytest.raises(errors.BankTimeout):
            await cards.top_up(ctx, key=f"tu{i}", user_id=1, card_id=card["card_id"], amount=1_000, pin=PIN)
    ctx.clock.advance(minutes=5)
    results = await asyncio.gather(*(cards.reconcile(ctx) for _ in range(4)))
    settled = [s["op_id"] for r in results for s in r]
    assert sorted(settled) == sorted({o.id for o in await bank_op_rows(ctx)})
    assert await wallet_balance(ctx, 1) == 3_000


async def test_top_up_retry_after_a_timeout_is_credited_once(ctx):
    await make_person(ctx, 1)
    card = await bind_as(ctx, key="bt", user_id=1, card=TIMEOUT, identity_of=1)
    with pytest.raises(errors.BankTimeout):
        await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=2_000, pin=PIN)
    done = await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=2_000, pin=PIN)
    assert done["status"] == "succeeded" and done["balance"] == 2_000
    ctx.clock.advance(minutes=5)
    assert await cards.reconcile(ctx) == []
    assert await wallet_balance(ctx, 1) == 2_000


async def test_top_up_timeout_that_failed_at_the_bank_credits_nothing(ctx):
    await make_person(ctx, 1)
    card = await bind_as(ctx, key="bt", user_id=1, card=TIMEOUT_FAIL, identity_of=1)
    with pytest.raises(errors.BankTimeout):
        await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=2_000, pin=PIN)
    ctx.clock.advance(minutes=2)
    [s] = await cards.reconcile(ctx)
    assert s["status"] == "failed"
    assert await wallet_balance(ctx, 1) == 0


async def test_a_charge_that_never_reached_the_bank_is_sent_again_by_reconcile(ctx):
    """Failing it could lose money if the request was only slow and arrives later; the same
    key sent again is done at most once by the bank."""
    card = await make_person(ctx, 1)
    ctx.bank.fail_next("charge", ConnectionError())
    with pytest.raises(ConnectionError):
        await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=2_000, pin=PIN)
    [op] = await bank_op_rows(ctx)
    assert op.status == "pending"
    assert await ctx.bank.status(op.key) is None
    ctx.clock.advance(minutes=2)
    [s] = await cards.reconcile(ctx)
    assert s["status"] == "succeeded"
    assert (await ctx.bank.status(op.key)).succeeded
    assert await wallet_balance(ctx, 1) == 2_000
    assert await cards.reconcile(ctx) == []
    assert await wallet_balance(ctx, 1) == 2_000


async def test_frozen_account_cannot_top_up(ctx):
    card = await make_person(ctx, 1)
    await people.freeze(ctx, key="f", user_id=1)
    with pytest.raises(errors.AccountFrozen):
        await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=100, pin=PIN)
    assert await wallet_balance(ctx, 1) == 0
    assert await bank_op_rows(ctx) == []


# --- withdrawal --------------------------------------------------------------------------------
async def test_withdrawal_within_the_free_quota_is_free(ctx):
    card = await make_person(ctx, 1, balance=50_000)
    q = await cards.withdrawal_quote(ctx, 1, 20_000)
    assert q == {"amount": 20_000, "fee": 0, "total": 20_000, "balance": 50_000, "free_left": 100_000}
    done = await cards.withdraw(ctx, key="w1", user_id=1, card_id=card["card_id"], amount=20_000, pin=PIN)
    assert (done["status"], done["amount"], done["fee"], done["balance"]) == ("succeeded", 20_000, 0, 30_000)
    assert await cards.withdraw(ctx, key="w1", user_id=1, card_id=card["card_id"], amount=20_000, pin=PIN) == done
    assert await wallet_balance(ctx, 1) == 30_000
    assert (await cards.withdrawal_quote(ctx, 1))["free_left"] == 80_000


async def test_withdrawal_above_the_quota_pays_the_fee_on_top(ctx):
    card = await make_person(ctx, 1, balance=300_000)
    q = await cards.withdrawal_quote(ctx, 1, 150_000)
    assert (q["fee"], q["total"]) == (50, 150_050)  # 0.1 % of the ¥500 above the free ¥1,000
    done = await cards.withdraw(ctx, key="w1", user_id=1, card_id=card["card_id"], amount=150_000, pin=PIN)
    assert (done["fee"], done["balance"]) == (50, 300_000 - 150_050)
    assert (await cards.withdrawal_quote(ctx, 1))["free_left"] == 0
    done = await cards.withdraw(ctx, key="w2", user_id=1, card_id=card["card_id"], amount=1, pin=PIN)
    assert done["fee"] == 10  # the minimum fee
    assert await wallet_balance(ctx, 1) == 300_000 - 150_050 - 11
    assert (await user_row(ctx, 1)).withdraw_free_used == 100_000


@pytest.mark.parametrize("balance, free_used_first", [(50_000, 0), (123_456, 0), (345_678, 30_000), (5_000, 100_000)])
async def test_withdraw_all_leaves_nothing_withdrawable(ctx, balance, free_used_first):
    card = await make_person(ctx, 1, balance=balance + free_used_first)
    if free_used_first:
        await cards.withdraw(ctx, key="first", user_id=1, card_id=card["card_id"], amount=free_used_first, pin=PIN)
    before = await wallet_balance(ctx, 1)
    q = await cards.withdrawal_quote(ctx, 1)
    done = await cards.withdraw(ctx, key="all", user_id=1, card_id=card["card_id"], amount=None, pin=PIN)
    assert (done["amount"], done["fee"]) == (q["amount"], q["fee"])
    left = await wallet_balance(ctx, 1)
    assert left == before - done["amount"] - done["fee"]
    smallest = await cards.withdrawal_quote(ctx, 1, 1)
    assert left == 0 or left < smallest["total"]
    assert (await cards.withdrawal_quote(ctx, 1))["amount"] == 0
    with pytest.raises(errors.InsufficientBalance):
        await cards.withdraw(ctx, key="more", user_id=1, card_id=card["card_id"], amount=None, pin=PIN)


async def test_withdrawal_to_a_credit_card_is_refused(ctx):
    await make_person(ctx, 1, balance=10_000)
    credit = await bind_as(ctx, key="bc", user_id=1, card=CREDIT, identity_of=1)
    assert credit["card_type"] == "credit"
    with pytest.raises(errors.CreditCardNotAllowed) as e:
        await cards.withdraw(ctx, key="w", user_id=1, card_id=credit["card_id"], amount=1_000, pin=PIN)
    assert e.value.last4 == CREDIT[-4:]
    assert await wallet_balance(ctx, 1) == 10_000
    assert [o.kind for o in await bank_op_rows(ctx)] == ["charge"]


async def test_declined_payout_refunds_amount_and_fee_and_restores_the_quota(ctx):
    await make_person(ctx, 1)
    card = await bind_as(ctx, key="bp", user_id=1, card=PAYOUT_DECLINED, identity_of=1)
    await cards.top_up(ctx, key="tu", user_id=1, card_id=card["card_id"], amount=300_000, pin=PIN)
    with pytest.raises(errors.BankDeclined) as e:
        await cards.withdraw(ctx, key="w", user_id=1, card_id=card["card_id"], amount=150_000, pin=PIN)
    assert e.value.reason == "account_abnormal"
    assert await wallet_balance(ctx, 1) == 300_000
    assert (await user_row(ctx, 1)).withdraw_free_used == 0
    assert (await cards.withdrawal_quote(ctx, 1))["free_left"] == 100_000
    payout = (await bank_op_rows(ctx))[-1]
    assert (payout.kind, payout.status, payout.fee, payout.free_used) == ("payout", "failed", 50, 100_000)
    with pytest.raises(errors.BankDeclined):  # a retry with the key answers the same, no second hold
        await cards.withdraw(ctx, key="w", user_id=1, card_id=card["card_id"], amount=150_000, pin=PIN)
    assert await wallet_balance(ctx, 1) == 300_000


async def test_withdrawal_timeout_is_settled_by_reconcile(ctx):
    await make_person(ctx, 1, balance=10_000)  # funded from its first card (the timeout card times out top-ups too)
    card = await bind_as(ctx, key="bt", user_id=1, card=TIMEOUT, identity_of=1)
    with pytest.raises(errors.BankTimeout) as e:
        await cards.withdraw(ctx, key="w", user_id=1, card_id=card["card_id"], amount=4_000, pin=PIN)
    assert (await op_row(ctx, e.value.op_id)).status == "unknown"
    assert await wallet_balance(ctx, 1) == 6_000  # held
    ctx.clock.advance(minutes=2)
    [s] = await cards.reconcile(ctx)
    assert (s["op_id"], s["kind"], s["status"]) == (e.value.op_id, "payout", "succeeded")
    assert await wallet_balance(ctx, 1) == 6_000
    assert await cards.reconcile(ctx) == []


async def test_withdrawal_timeout_that_failed_is_refunded_by_reconcile(ctx):
    first = await make_person(ctx, 1, balance=200_000)
    card = await bind_as(ctx, key="bt", user_id=1, card=TIMEOUT_FAIL, identity_of=1)
    with pytest.raises(errors.BankTimeout):
        await cards.withdraw(ctx, key="w", user_id=1, card_id=card["card_id"], amount=120_000, pin=PIN)
    assert await wallet_balance(ctx, 1) == 200_000 - 120_020
    ctx.clock.advance(minutes=2)
    results = await asyncio.gather(cards.reconcile(ctx), cards.reconcile(ctx))
    assert sum(len(r) for r in results) == 1
    assert await wallet_balance(ctx, 1) == 200_000
    assert (await cards.withdrawal_quote(ctx, 1))["free_left"] == 100_000
    assert first["card_id"] != card["card_id"]


async def test_withdrawal_needs_the_fee_in_the_balance(ctx):
    card = await make_person(ctx, 1, balance=100_005)
    with pytest.raises(errors.InsufficientBalance) as e:
        await cards.withdraw(ctx, key="w", user_id=1, card_id=card["card_id"], amount=100_001, pin=PIN)
    assert (e.value.needed, e.value.available) == (100_011, 100_005)
    with pytest.raises(errors.InsufficientBalance):
        await cards.withdraw(ctx, key="w2", user_id=1, card_id=card["card_id"], amount=200_000, pin=PIN)
    assert await wallet_balance(ctx, 1) == 100_005
    assert (await user_row(ctx, 1)).withdraw_free_used == 0
    done = await cards.withdraw(ctx, key="w3", user_id=1, card_id=card["card_id"], amount=100_000, pin=PIN)
    assert done["fee"] == 0 and done["balance"] == 5


async def test_withdrawal_refusals(ctx):
    card = await make_person(ctx, 1, balance=10_000)
    with pytest.raises(errors.InvalidAmount):
        await cards.withdraw(ctx, key="z", user_id=1, card_id=card["card_id"], amount=0, pin=PIN)
    with pytest.raises(errors.PinWrong):
        await cards.withdraw(ctx, key="p", user_id=1, card_id=card["card_id"], amount=100, pin="246810")
    with pytest.raises(errors.CardNotFound):
        await cards.withdraw(ctx, key="c", user_id=1, card_id=999, amount=100, pin=PIN)
    await people.freeze(ctx, key="f", user_id=1)
    with pytest.raises(errors.AccountFrozen):
        await cards.withdraw(ctx, key="w", user_id=1, card_id=card["card_id"], amount=100, pin=PIN)
    assert await wallet_balance(ctx, 1) == 10_000
    assert [o.kind for o in await bank_op_rows(ctx)] == ["charge"]


async def test_concurrent_withdrawals_never_overdraw(ctx):
    card = await make_person(ctx, 1, balance=10_000)
    results = await asyncio.gather(
        *(cards.withdraw(ctx, key=f"w{i}", user_id=1, card_id=card["card_id"], amount=3_000, pin=PIN)
          for i in range(6)), return_exceptions=True)
    ok = [r for r in results if isinstance(r, dict)]
    assert len(ok) == 3, results
    assert all(isinstance(r, errors.InsufficientBalance) for r in results if not isinstance(r, dict))
    assert await wallet_balance(ctx, 1) == 1_000
    assert (await user_row(ctx, 1)).withdraw_free_used == 9_000


async def test_concurrent_top_ups_with_one_key_credit_once(ctx):
    card = await make_person(ctx, 1)
    results = await asyncio.gather(
        *(cards.top_up(ctx, key="same", user_id=1, card_id=card["card_id"], amount=2_500, pin=PIN) for _ in range(6)),
        return_exceptions=True)
    assert all(isinstance(r, dict) for r in results), results
    assert len({r["op_id"] for r in results}) == 1
    assert await wallet_balance(ctx, 1) == 2_500
    assert len(await bank_op_rows(ctx)) == 1


async def test_concurrent_withdrawals_with_one_key_pay_out_once(ctx):
    card = await make_person(ctx, 1, balance=10_000)
    results = await asyncio.gather(
        *(cards.withdraw(ctx, key="same", user_id=1, card_id=card["card_id"], amount=2_500, pin=PIN) for _ in range(6)),
        return_exceptions=True)
    assert all(isinstance(r, dict) for r in results), results
    assert len({r["op_id"] for r in results}) == 1
    assert await wallet_balance(ctx, 1) == 7_500
    assert [o.kind for o in await bank_op_rows(ctx)] == ["charge", "payout"]
    assert (await user_row(ctx, 1)).withdraw_free_used == 2_500
