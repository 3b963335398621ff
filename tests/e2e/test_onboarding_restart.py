"""The bot is stopped in the middle of opening a wallet and started again on the same database:
the person continues at the step they were on. What is persisted never holds the PIN, and the
ID and card numbers only encrypted."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tests.e2e.steps import GOOD_CARDS, Opening, assert_no_secrets, default_id_number, has_callback, running_bot
from tests.e2e.test_onboarding import audit_clean
from wallet.models import chat_state

PIN = "258036"


@pytest.fixture
async def settings(database_url, database_template, tmp_path):
    from bot.run import migrate
    from bot.settings import Settings

    s = Settings(database_url=database_url, sandbox_bank_path=tmp_path / "sandbox_bank.json",
                 sweep_interval_seconds=3600)
    if database_template is None:
        await asyncio.to_thread(migrate, s)
    return s


async def _stored(app) -> str:
    async with app.bot_data["wallet"].engine.connect() as conn:
        rows = (await conn.execute(select(chat_state.c.kind, chat_state.c.name, chat_state.c.data))).all()
    return "\n".join(f"{r.kind} {r.name} {r.data}" for r in rows)


async def test_stopped_mid_opening_continues_at_the_same_step(settings, emulator, people, alice):
    card, id_number = GOOD_CARDS[0], default_id_number(alice)
    async with running_bot(emulator, settings) as app:
        o = Opening(people, alice)
        await o.start()
        await o.share_phone()
        await o.type_phone_code()
        await o.type_name("张三")
        await o.type_id(id_number)  # now waiting for the card number
    async with running_bot(emulator, settings) as app:
        stored = await _stored(app)
        assert "ob.card" in stored and id_number not in stored and "张三" not in stored
        await o.type_card(card)  # the same step: the card number, nothing asked again
        await alice.send("/start")  # /start while opening shows the current step again
        await alice.expect(where=has_callback("ob:resend"))
        await o.type_card_code()
        await o.type_pin(PIN)
        await o.next_keypad()  # the second entry
        await app.update_persistence()
        stored = await _stored(app)
        assert PIN not in stored and card not in stored and id_number not in stored
    async with running_bot(emulator, settings) as app:
        # the keypad's digits lived in memory: the old keypad is refused and a fresh one sent
        answer = await alice.press(o.keypad, callback_data=o.keypad.keyboard[0][0]["callback_data"])
        assert answer.show_alert
        await o.next_keypad()
        home = await o.set_pin(PIN)
        assert "我的钱包" in home.text
        assert PIN not in await _stored(app)
        await assert_no_secrets(people, alice, [PIN, id_number, card], world=emulator.world)
        await audit_clean(app)
