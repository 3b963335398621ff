"""aiogram 3 pointed at the emulator as a custom Bot API server: messages and callback queries."""
from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def aiogram_bot(emulator):
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.url))
    bot = Bot(emulator.token, session=session)
    yield bot
    await bot.session.close()


@pytest.fixture
async def polling(aiogram_bot):
    dp = Dispatcher()
    seen: list[str] = []

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        seen.append(message.text)
        kb = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Pay ¥12.34", callback_data="pay:12")]])
        await message.answer(f"Hi <b>{message.from_user.first_name}</b>", reply_markup=kb, parse_mode="HTML")

    @dp.message(Command("echo"))
    async def echo(message: Message) -> None:
        await message.reply(message.text.removeprefix("/echo ").upper())

    @dp.callback_query(F.data.startswith("pay:"))
    async def pay(query: CallbackQuery) -> None:
        await query.answer(f"paid {query.data.split(':')[1]} by {query.from_user.first_name}")
        await query.message.edit_text("Paid ✅")

    task = asyncio.create_task(dp.start_polling(aiogram_bot, handle_signals=False, polling_timeout=2,
                                                close_bot_session=False))
    yield seen
    with contextlib.suppress(RuntimeError):
        await dp.stop_polling()
    await asyncio.wait_for(task, 10)


async def test_aiogram_messages_and_callbacks(polling, people, alice):
    await alice.send("/start")
    msg = await alice.expect(contains="Hi")
    assert msg.text == "Hi Alice" and msg.raw["entities"] == [{"type": "bold", "offset": 3, "length": 5}]
    assert polling == ["/start"]
    answer = await alice.press(msg, "Pay")
    assert answer.text == "paid 12 by Alice"
    edited = await alice.expect(edited=True)
    assert edited.text == "Paid ✅" and edited.buttons == []
    sent = await alice.send("/echo hello")
    reply = await alice.expect(contains="HELLO")
    assert reply.raw["reply_to_message"]["message_id"] == sent.id


async def test_aiogram_sees_telegram_errors(aiogram_bot, people, alice):
    me = await aiogram_bot.get_me()
    assert me.username == "WalletDemoBot" and me.id == aiogram_bot.id
    with pytest.raises(TelegramForbiddenError):
        await aiogram_bot.send_message(alice.id, "hello first")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await aiogram_bot.send_message(42, "nobody")
    await alice.send("hi")
    sent = await aiogram_bot.send_message(alice.id, "ok")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await aiogram_bot.edit_message_text("ok", chat_id=alice.id, message_id=sent.message_id)
