"""Telegram's errors, as python-telegram-bot sees them, and fault injection (429, dropped long polls)."""
from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import MessageHandler, filters

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def bot(emulator):
    async with Bot(emulator.token, base_url=emulator.bot_base_url, base_file_url=emulator.file_base_url) as b:
        yield b


async def test_unknown_chat(bot):
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(123456789, "hi")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message("@nobody_here", "hi")


async def test_bot_cannot_start_a_conversation(bot, people, alice):
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(alice.id, "hello first")
    await alice.send("/start")
    assert (await bot.send_message(alice.id, "now we talk")).text == "now we talk"


async def test_blocked_by_the_user(bot, people, alice):
    await alice.send("/start")
    await alice.block_bot()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(alice.id, "anyone there?")
    updates = await bot.get_updates()
    kicked = [u.my_chat_member for u in updates if u.my_chat_member]
    assert kicked and kicked[-1].new_chat_member.status == "kicked"
    await alice.block_bot(False)
    await bot.send_message(alice.id, "welcome back")


async def test_message_edits_and_deletes(bot, people, alice):
    await alice.send("/start")
    msg = await bot.send_message(alice.id, "same", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]))
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await msg.edit_text("same", reply_markup=msg.reply_markup)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await msg.edit_reply_markup(msg.reply_markup)
    edited = await msg.edit_text("changed")
    assert edited.text == "changed" and edited.edit_date is not None and edited.reply_markup is None
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", inline_message_id="BAAAAnope")
    assert await msg.delete() is True
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await msg.delete()
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await msg.edit_text("gone")


async def test_callback_data_text_and_parse_limits(bot, people, alice):
    await alice.send("/start")
    long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])  # 66 bytes
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(alice.id, "too long data", reply_markup=long_data)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="a" * 64)]])
    await bot.send_message(alice.id, "64 bytes is fine", reply_markup=ok)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(alice.id, "   ")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    assert len((await bot.send_message(alice.id, "好" * 4096)).text) == 4096
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(alice.id, "<b>open", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await bot.send_photo(alice.id, "no-such-file-id")


async def test_wrong_token_is_unauthorized(emulator):
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=emulator.bot_base_url):
            pass


async def test_rate_limit_fault_answers_429_with_retry_after(bot, people, alice):
    await alice.send("/start")
    await people.rate_limit(count=2, retry_after=3, methods=["sendMessage"])
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(alice.id, "hi")
        assert caught.value._retry_after.total_seconds() == 3
    assert (await bot.send_message(alice.id, "after the storm")).text == "after the storm"
    faults = await people.call("GET", "/control/faults")
    assert faults["rate_limit"]["count"] == 0


async def test_dropped_long_polls_are_survived_by_the_updater(run_ptb, people, alice):
    got = asyncio.Queue()

    async def on_text(update, context):
        await got.put(update.message.text)

    await people.drop_polls(1)
    await run_ptb(lambda app: app.add_handler(MessageHandler(filters.TEXT, on_text)))
    await alice.send("through a flaky network")
    assert await asyncio.wait_for(got.get(), 10) == "through a flaky network"
    assert (await people.call("GET", "/control/faults"))["drop_polls"] == 0


async def test_get_updates_offset_limit_and_allowed_updates(bot, people, alice, bob):
    await alice.send("/start")
    await bob.send("/start")
    first = await bot.get_updates(limit=1)
    assert len(first) == 1 and first[0].message.text == "/start"
    both = await bot.get_updates()
    assert [u.update_id for u in both][0] == first[0].update_id and len(both) == 2
    rest = await bot.get_updates(offset=both[-1].update_id + 1, timeout=0)
    assert rest == ()
    await alice.send("text only")
    await people.group("G", alice, bob)  # group_chat_created (a message) and my_chat_member (filtered out)
    only_messages = await bot.get_updates(offset=both[-1].update_id + 1, allowed_updates=["message"])
    assert [u.message.text for u in only_messages] == ["text only", None]
    assert only_messages[1].message.group_chat_created and not any(u.my_chat_member for u in only_messages)


async def test_long_poll_waits_for_an_update(bot, people, alice):
    async def later():
        await asyncio.sleep(0.3)
        await alice.send("late")
    task = asyncio.create_task(later())
    loop = asyncio.get_running_loop()
    start = loop.time()
    updates = await bot.get_updates(timeout=5)
    await task
    assert [u.message.text for u in updates] == ["late"] and 0.2 < loop.time() - start < 3
