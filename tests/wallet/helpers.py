"""Making people for tests through the real flows: open a wallet, receive an SMS code in the
sandbox, bind a sandbox card (real-name verification), set the PIN, top up from the card."""
from __future__ import annotations

import asyncio
from datetime import date

from wallet.bank import luhn_check_digit
from wallet.idnumber import make_test_id_number
from wallet.services import cards, people, pins

PIN = "135790"


def card_for(user_id: int, bin_: str = "622202") -> str:
    """A valid ICBC debit card number unique to the user (the sandbox registers it)."""
    body = f"{bin_}{user_id % 10**12:012d}"
    return body + luhn_check_digit(body)


def phone_for(user_id: int) -> str:
    return f"139{user_id % 10**8:08d}"


def id_for(user_id: int) -> str:
    return make_test_id_number(date(1990, 1 + user_id % 12, 1 + user_id % 28), seq=f"{user_id % 1000:03d}")


def name_for(user_id: int) -> str:
    return f"Tester {chr(65 + user_id % 26)}{chr(65 + (user_id // 26) % 26)}"


async def bind(ctx, user_id: int, *, card: str | None = None, key: str | None = None) -> dict:
    """Bind a card as the chat does: the bank checks the holder and the phone, the card's code
    goes to that phone, the code comes back."""
    phone, card_number = phone_for(user_id), card or card_for(user_id)
    ctx.clock.advance(seconds=ctx.rules.sms_resend_seconds)  # never "too soon" in tests
    await cards.send_bind_code(ctx, user_id=user_id, card_number=card_number, name=name_for(user_id),
                               id_number=id_for(user_id), phone=phone)
    code = ctx.sms.last_code(phone)
    return await cards.bind_card(ctx, key=key or f"bind-{user_id}-{card or ''}", user_id=user_id,
                                 card_number=card_number, name=name_for(user_id),
                                 id_number=id_for(user_id), phone=phone, sms_code=code)


async def make_person(ctx, user_id: int, *, balance: int = 0, pin: str = PIN, verified: bool = True,
                      language: str = "zh-CN") -> dict | None:
    """Open a wallet for ``user_id``; unless ``verified=False``, bind a card, set the PIN and
    top up ``balance`` fen from the card. Returns the bound card (or None)."""
    await people.open_wallet(ctx, key=f"open-{user_id}", user_id=user_id, language=language,
                             first_name=f"User{user_id}")
    if not verified:
        return None
    card = await bind(ctx, user_id)
    await pins.set_pin(ctx, user_id, pin)
    if balance:
        await cards.top_up(ctx, key=f"fund-{user_id}-{balance}", user_id=user_id, card_id=card["card_id"],
                           amount=balance, pin=pin)
    return card


async def make_people(ctx, ids, *, balance: int = 0, concurrency: int = 10) -> None:
    sem = asyncio.Semaphore(concurrency)

    async def one(uid):
        async with sem:
            await make_person(ctx, uid, balance=balance)

    # binding moves the fake clock (SMS resend gap); run in order of ids for determinism
    for uid in ids:
        await one(uid)


async def wallet_balance(ctx, user_id: int) -> int:
    """The cached balance of the user's wallet account, read in one snapshot."""
    from wallet import ledger
    from wallet.uow import read

    async def body(conn):
        return await ledger.balance_of(conn, await ledger.wallet_account(conn, user_id))
    return await read(ctx, body)


def set_now(ctx, when) -> None:
    """Move the test's fake clock to ``when`` (an aware datetime), forwards or back."""
    ctx.clock.advance(seconds=(when - ctx.now()).total_seconds())
    assert ctx.now() == when


async def audit_failures(ctx) -> str:
    """The audit of ctx's database: '' when every invariant holds, else the report."""
    from wallet.audit import audit_engine, report

    checks = await audit_engine(ctx.engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    return "" if all(c.ok for c in checks) else report(checks)
