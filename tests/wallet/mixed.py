"""A person with 35 mixed bills over six local months (2026-07 .. 2026-12), made through the
real services: top-ups, transfers out and in (accepted, returned, pending), payments to a shop,
red packets, a withdrawal with a fee. Used by the bills, statement and rendering tests."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.wallet.helpers import PIN, make_person
from wallet.clock import FakeClock
from wallet.services import cards, merchants, red_packets, transfers

ALICE, BOB, CAROL = 501, 502, 503
MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12")
N_BILLS = 35


def set_clock(ctx, when: datetime) -> None:
    ctx.clock.advance(seconds=(when - ctx.now()).total_seconds())


async def mixed_bills(ctx, ids: tuple[int, int, int] = (ALICE, BOB, CAROL),
                      languages: tuple[str, str, str] = ("zh-CN", "zh-CN", "zh-CN")) -> dict:
    """``ids``: who plays Alice, Bob and Carol (e2e tests pass the emulator's people)."""
    ALICE, BOB, CAROL = ids  # noqa: N806
    ctx.clock = FakeClock(datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc))
    card = await make_person(ctx, ALICE, balance=300_000, language=languages[0])
    await make_person(ctx, BOB, balance=5_000, language=languages[1])
    await make_person(ctx, CAROL, language=languages[2])
    shop = await merchants.register_shop(ctx, key="shop", owner_id=CAROL, name="小卖部", category="retail")
    code = shop["code"]["code"]
    for i, month in enumerate(MONTHS):
        y, m = int(month[:4]), int(month[5:])
        set_clock(ctx, datetime(y, m, 10, 4, 0, tzinfo=timezone.utc))  # the 10th, 12:00 in Shanghai
        t = await transfers.send(ctx, key=f"out{i}", sender_id=ALICE, recipient_id=BOB, amount=1_000, pin=PIN,
                                 note=f"饭钱 {month}")
        await transfers.accept(ctx, key=f"out{i}a", user_id=BOB, transfer_id=t["transfer_id"])
        ctx.clock.advance(minutes=5)
        t = await transfers.send(ctx, key=f"in{i}", sender_id=BOB, recipient_id=ALICE, amount=500, pin=PIN)
        await transfers.accept(ctx, key=f"in{i}a", user_id=ALICE, transfer_id=t["transfer_id"])
        ctx.clock.advance(minutes=5)
        await merchants.pay(ctx, key=f"pay{i}", payer_id=ALICE, code=code, amount=300 + i, pin=PIN)
        ctx.clock.advance(minutes=5)
        await cards.top_up(ctx, key=f"top{i}", user_id=ALICE, card_id=card["card_id"], amount=2_000, pin=PIN)
        ctx.clock.advance(minutes=5)
        p = await red_packets.create(ctx, key=f"rp{i}", sender_id=ALICE, kind="equal", amount=300, shares=2,
                                     pin=PIN, greeting="恭喜发财")
        await red_packets.claim(ctx, key=f"rp{i}c", packet_id=p["packet_id"], user_id=BOB)
        ctx.clock.advance(minutes=5)
    # December extras: a withdrawal with a fee, a returned transfer, a pending one
    await cards.withdraw(ctx, key="wd", user_id=ALICE, card_id=card["card_id"], amount=150_000, pin=PIN)
    ctx.clock.advance(minutes=5)
    t = await transfers.send(ctx, key="ret", sender_id=ALICE, recipient_id=BOB, amount=777, pin=PIN)
    await transfers.give_back(ctx, key="reta", user_id=BOB, transfer_id=t["transfer_id"])
    ctx.clock.advance(minutes=5)
    await transfers.send(ctx, key="pend", sender_id=ALICE, recipient_id=BOB, amount=123, pin=PIN)
    ctx.clock.advance(minutes=5)
    return {"card": card, "shop": shop}
