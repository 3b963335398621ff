"""A real python-telegram-bot Application long-polling the emulator: the whole Bot API surface we use."""
from __future__ import annotations

import asyncio
import struct
import zlib

import pytest
from telegram import (InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle, InputTextMessageContent,
                      KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update)
from telegram.constants import ParseMode
from telegram.ext import (CallbackQueryHandler, ChatMemberHandler, ChosenInlineResultHandler, CommandHandler,
                          ContextTypes, InlineQueryHandler, MessageHandler, filters)

pytestmark = pytest.mark.timeout(60)


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x07\xc1\x60" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Recorder:
    def __init__(self) -> None:
        self.updates: list[Update] = []
        self.event = asyncio.Event()

    def add(self, update: Update) -> None:
        self.updates.append(update)
        self.event.set()

    async def wait_for(self, predicate, timeout: float = 5.0) -> Update:
        async def loop() -> Update:
            while True:
                for u in self.updates:
                    if predicate(u):
                        return u
                self.event.clear()
                await self.event.wait()
        return await asyncio.wait_for(loop(), timeout)


KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Open", callback_data="open:1"),
                                  InlineKeyboardButton("Site", url="https://example.org")]])


def wallet_like_bot(app, rec: Recorder) -> None:
    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        rec.add(update)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        rec.add(update)
        await update.message.reply_text(f"<b>Hello</b>, {update.effective_user.first_name} 👋 <i>{' '.join(context.args)}</i>",
                                        parse_mode=ParseMode.HTML, reply_markup=KEYBOARD)

    async def md(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(r"*bold* _it_ `code` [link](https://t.me) 1\.5", parse_mode=ParseMode.MARKDOWN_V2,
                                        reply_to_message_id=update.message.message_id)

    async def phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("Share your phone", reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton("📱 Share my phone", request_contact=True)], ["Cancel"]], one_time_keyboard=True,
            resize_keyboard=True))

    async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        rec.add(update)
        c = update.message.contact
        mine = c.user_id == update.effective_user.id
        await update.message.reply_text(f"got {c.phone_number} own={mine}", reply_markup=ReplyKeyboardRemove())

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        rec.add(update)
        q = update.callback_query
        if q.inline_message_id:
            await q.answer("inline ok")
            await q.edit_message_text(f"claimed by {q.from_user.first_name}")
        else:
            await q.answer(f"opened by {q.from_user.first_name}", show_alert=True)
            await q.edit_message_reply_markup(InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done")]]))

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sent = await update.message.reply_photo(png(40, 30), caption="a <b>QR</b>", parse_mode=ParseMode.HTML)
        await update.message.reply_photo(sent.photo[-1].file_id, caption="again")
        await update.message.reply_document(b"date,amount\n2026-01-01,12.34\n", filename="bill.csv", caption="bill")
        context.bot_data["photo_id"] = sent.photo[-1].file_id

    async def delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.delete()
        note = await update.message.reply_text("temporary") if False else await context.bot.send_message(update.effective_chat.id, "temporary")
        await note.delete()
        await context.bot.send_message(update.effective_chat.id, "deleted both")

    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        rec.add(update)
        amount = update.inline_query.query or "0"
        await update.inline_query.answer([
            InlineQueryResultArticle(id="tr", title=f"Transfer ¥{amount}", description="to a friend",
                                     input_message_content=InputTextMessageContent(f"<b>Transfer</b> ¥{amount}", parse_mode=ParseMode.HTML),
                                     reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="acc")]])),
            InlineQueryResultArticle(id="plain", title="Plain", input_message_content=InputTextMessageContent("plain text")),
        ], cache_time=0)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("md", md))
    app.add_handler(CommandHandler("phone", phone))
    app.add_handler(CommandHandler("photo", photo))
    app.add_handler(CommandHandler("del", delete))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(CallbackQueryHandler(press))
    app.add_handler(InlineQueryHandler(inline))
    app.add_handler(ChosenInlineResultHandler(record))
    app.add_handler(ChatMemberHandler(record, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.ALL, record))


@pytest.fixture
async def wallet_bot(run_ptb):
    rec = Recorder()
    app = await run_ptb(lambda app: wallet_like_bot(app, rec))
    return app, rec


async def test_command_entities_and_html_reply_with_keyboard(wallet_bot, people, alice):
    app, rec = wallet_bot
    await alice.send("/start pay_abc")
    update = await rec.wait_for(lambda u: u.message and u.message.text == "/start pay_abc")
    assert update.message.entities[0].type == "bot_command"
    assert update.effective_user.language_code == "zh-CN" and update.effective_chat.type == "private"
    msg = await alice.expect(contains="Hello")
    assert msg.text == "Hello, Alice 👋 pay_abc"
    assert {"type": "bold", "offset": 0, "length": 5} in msg.raw["entities"]
    assert {"type": "italic", "offset": 16, "length": 7} in msg.raw["entities"]  # 👋 counts 2 UTF-16 units
    assert msg.buttons == ["Open", "Site"]


async def test_press_answers_popup_and_edits_markup(wallet_bot, people, alice):
    app, rec = wallet_bot
    await alice.send("/start")
    msg = await alice.expect(contains="Hello")
    url = await alice.press(msg, "Site")  # a URL button: no callback, the client opens the link
    assert url.url == "https://example.org" and url.text is None
    answer = await alice.press(msg, "Open")
    assert answer.text == "opened by Alice" and answer.show_alert
    update = await rec.wait_for(lambda u: u.callback_query is not None)
    assert update.callback_query.data == "open:1" and update.callback_query.message.message_id == msg.id
    edited = await alice.expect(edited=True)
    assert edited.id == msg.id and edited.buttons == ["Done"]


async def test_markdown_v2_and_reply_to(wallet_bot, people, bob):
    _, rec = wallet_bot
    sent = await bob.send("/md")
    msg = await bob.expect(contains="bold")
    assert msg.text == "bold it code link 1.5"
    kinds = [e["type"] for e in msg.raw["entities"]]
    assert kinds == ["bold", "italic", "code", "text_link"]
    assert msg.raw["reply_to_message"]["message_id"] == sent.id


async def test_reply_keyboard_contact_and_removal(wallet_bot, people, carol):
    _, rec = wallet_bot
    await carol.send("/phone")
    ask = await carol.expect(contains="Share your phone")
    assert ask.reply_keyboard == ["📱 Share my phone", "Cancel"]
    assert ask.raw["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    await carol.share_contact()
    update = await rec.wait_for(lambda u: u.message and u.message.contact)
    assert update.message.contact.phone_number == "+8613800000003"
    reply = await carol.expect(contains="got")
    assert reply.text == "got +8613800000003 own=True"
    assert reply.raw["reply_markup"] == {"remove_keyboard": True}


async def test_photos_documents_file_id_reuse_and_download(wallet_bot, people, alice):
    app, rec = wallet_bot
    await alice.send("/photo")
    doc = await alice.expect(contains="bill")
    messages = await alice.messages()
    first, again = [m for m in messages if m.raw.get("photo")]
    assert first.raw["photo"]["width"] == 40 and first.raw["photo"]["height"] == 30
    assert first.raw["caption_entities"] == [{"type": "bold", "offset": 2, "length": 2}]
    assert again.raw["photo"]["file_id"] == first.raw["photo"]["file_id"]
    assert doc.raw["document"]["file_name"] == "bill.csv"
    file = await app.bot.get_file(app.bot_data["photo_id"])
    assert (await file.download_as_bytearray()) == bytearray(png(40, 30))
    body = await people.session.get(people.base_url + doc.raw["document"]["url"])
    assert (await body.read()).startswith(b"date,amount")
    assert "attachment" in body.headers["Content-Disposition"]


async def test_delete_messages(wallet_bot, people, bob):
    await bob.send("/del")
    await bob.expect(contains="deleted both")
    texts = [m.text for m in await bob.messages()]
    assert texts == ["deleted both"]


async def test_inline_query_chosen_result_and_inline_callback(wallet_bot, people, alice, bob):
    app, rec = wallet_bot
    group = await people.group("Friends", alice, bob)
    query_id, results = await alice.inline("50", chat_type="group")
    assert [r["title"] for r in results] == ["Transfer ¥50", "Plain"]
    update = await rec.wait_for(lambda u: u.inline_query is not None)
    assert update.inline_query.query == "50" and update.inline_query.chat_type == "group"
    card = await alice.choose(query_id, "tr", group)
    assert card.text == "Transfer ¥50" and card.raw["via_bot"]["username"] == "WalletDemoBot"
    assert card.inline_message_id
    chosen = await rec.wait_for(lambda u: u.chosen_inline_result is not None)
    assert chosen.chosen_inline_result.result_id == "tr"
    assert chosen.chosen_inline_result.inline_message_id == card.inline_message_id
    answer = await bob.press(card, "Accept")
    assert answer.text == "inline ok" and not answer.show_alert
    q = (await rec.wait_for(lambda u: u.callback_query is not None)).callback_query
    assert q.inline_message_id == card.inline_message_id and q.message is None
    edited = await bob.expect(group, edited=True, from_bot=None)
    assert edited.text == "claimed by Bob"
    # a result without a keyboard has no inline_message_id
    query_id, _ = await bob.inline("")
    plain = await bob.choose(query_id, "plain", group)
    assert plain.inline_message_id is None and plain.text == "plain text"


async def test_group_messages_replies_and_my_chat_member(wallet_bot, people, alice, bob):
    _, rec = wallet_bot
    await people.privacy_mode(False)  # this test reads people's plain group messages
    group = await people.group("Dinner", alice, bob)
    joined = await rec.wait_for(lambda u: u.my_chat_member is not None)
    assert joined.my_chat_member.new_chat_member.status == "member"
    assert joined.my_chat_member.chat.id == group.id and joined.my_chat_member.chat.type == "group"
    created = await rec.wait_for(lambda u: u.message and u.message.group_chat_created)
    assert created.message.from_user.id == alice.id
    first = await alice.send(group, "hello all")
    await bob.send(group, "hi Alice", reply_to=first)
    update = await rec.wait_for(lambda u: u.message and u.message.text == "hi Alice")
    assert update.message.reply_to_message.text == "hello all"
    assert update.message.chat.title == "Dinner" and update.message.from_user.first_name == "Bob"


async def test_get_chat_member_chat_action_and_commands(wallet_bot, people, alice, bob):
    app, _ = wallet_bot
    group = await people.group("Dinner", alice, bob)
    chat = await app.bot.get_chat(group.id)
    assert chat.title == "Dinner"
    owner = await app.bot.get_chat_member(group.id, alice.id)
    member = await app.bot.get_chat_member(group.id, bob.id)
    assert (owner.status, member.status) == ("creator", "member")
    await alice.send("/hi")
    assert await app.bot.send_chat_action(alice.id, "typing") is True
    from telegram import BotCommand
    await app.bot.set_my_commands([BotCommand("start", "Start")])
    assert [c.command for c in await app.bot.get_my_commands()] == ["start"]
    me = await app.bot.get_me()
    assert me.username == "WalletDemoBot" and me.is_bot and me.supports_inline_queries
