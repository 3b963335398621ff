"""The same last PIN press delivered twice (Telegram sends an update again when its offset was not
confirmed; the emulator's ``POST /control/redeliver``): the payment's key comes from the draft's
nonce (DESIGN §8, idempotency from chat), so it pays once, with one journal row, and the person is
told once. A shop payment and a private transfer; a restart between the payment and its reply:
tests/e2e/test_pin_replay_restart.py."""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from tests.e2e.steps import errors_logged
from tests.e2e.flows import bot, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_transfer import _send
from tests.people import Answer, Message, Person
from tests.wallet.helpers import PIN, wallet_balance
from wallet.models import journal
from wallet.services import merchants
from wallet.uow import read


async def fixed_code_link(ctx, owner: Person, amount: int, name: str = "花店") -> str:
    """A shop of ``owner`` with a fixed-amount collection code; its payment link."""
    shop = await merchants.register_shop(ctx, key=f"shop-{owner.id}", owner_id=owner.id, name=name, category="retail")
    code = await merchants.create_code(ctx, key=f"code-{owner.id}-{amount}", owner_id=owner.id,
                                       shop_id=shop["shop_id"], amount=amount)
    return f"https://t.me/WalletDemoBot?start={merchants.payload_for(code['code'])}"


def nonce_of(screen: Message) -> str:
    """The draft's nonce, carried by the confirm screen's first button (``<prefix>:ok:0:<nonce>``)."""
    return screen.keyboard[0][0]["callback_data"].rsplit(":", 1)[1]


async def journal_rows(ctx, key: str) -> int:
    return await read(ctx, lambda conn: conn.scalar(select(func.count()).select_from(journal)
                                                    .where(journal.c.idem_key == key)))


async def journal_kind(ctx, kind: str, user_id: int) -> int:
    return await read(ctx, lambda conn: conn.scalar(select(func.count()).select_from(journal)
                                                    .where(journal.c.kind == kind, journal.c.user_id == user_id)))


async def press_pin(person: Person, pad: Message, pin: str = PIN) -> Answer:
    """Tap ``pin`` on ``pad``; the answer to the last press (with its update id)."""
    layout = {b["text"]: b["callback_data"] for row in pad.keyboard for b in row}
    for digit in pin[:-1]:
        await person.press(pad, callback_data=layout[digit])
    return await person.press(pad, callback_data=layout[pin[-1]])


async def settled(person: Person) -> Message:
    """Everything the bot had for ``person`` before is done: one person's updates run in order, so
    once /wallet is answered, a press delivered before it has been handled."""
    await person.send("/wallet")
    return await person.expect(regex=r"¥\d")


def said(messages: list[Message], text: str) -> list[int]:
    return [m.id for m in messages if m.from_bot and text in m.text]


async def test_a_shop_payment_whose_last_pin_press_comes_twice_pays_once(bot, ctx, people, alice, bob, caplog):
    await opened(ctx, alice)
    await opened(ctx, bob, balance=10_000)
    link = await fixed_code_link(ctx, alice, 3_000)
    await bob.send("/start")
    await bob.expect()
    await bob.open_link(link)
    screen = await bob.expect(contains="¥30.00")
    await bob.press(screen, "Pay")
    last = await press_pin(bob, await keypad(bob))
    assert last.update_id is not None
    await bob.expect(contains="Paid")

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        await people.redeliver(last.update_id)  # the same press, the same callback query, again
        await settled(bob)
        await people.redeliver(last.update_id)  # and once more
        await settled(bob)
    assert errors_logged(caplog) == []
    key = f"u{bob.id}:merchant_pay:tg:{bob.id}:pay:{nonce_of(screen)}"
    assert await journal_rows(ctx, key) == 1 and await journal_kind(ctx, "pay", bob.id) == 1
    assert await wallet_balance(ctx, bob.id) == 7_000 and await wallet_balance(ctx, alice.id) == 3_000
    assert len(said(await bob.messages(), "Paid")) == 1
    await scan_secrets(bob)


async def test_a_transfer_whose_last_pin_press_comes_twice_sends_once(bot, ctx, people, alice, bob, caplog):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    await bob.send("/start")
    await bob.expect()
    screen = await _send(alice, bob, "20")
    await alice.press(screen, "确认")
    last = await press_pin(alice, await keypad(alice))
    await bob.expect(contains="→", regex=r"¥20\.00")  # the card to Bob
    await alice.expect(contains="→", regex=r"¥20\.00")  # Alice's own card

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        await people.redeliver(last.update_id)
        await settled(alice)
    assert errors_logged(caplog) == []
    key = f"u{alice.id}:transfer_send:tg:{alice.id}:transfer:{nonce_of(screen)}"
    assert await journal_rows(ctx, key) == 1 and await journal_kind(ctx, "transfer_hold", alice.id) == 1
    assert await wallet_balance(ctx, alice.id) == 3_000
    cards = [m for m in await bob.messages() if m.from_bot and "¥20.00" in m.text and m.buttons]
    assert len(cards) == 1  # one card for Bob
    assert len(said(await alice.messages(), "→")) == 1
    answer = await bob.press(cards[0], "Accept")
    assert "¥20.00" in answer.text and await wallet_balance(ctx, bob.id) == 2_000
    await scan_secrets(alice)
