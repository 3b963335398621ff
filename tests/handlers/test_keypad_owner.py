"""The keypad answers only the person it was shown to: a crafted press by someone else (with the
live nonce) is refused with a popup and types nothing. Through Application.process_update with a
recording request (Telegram itself would not deliver such a press from a private chat)."""
from __future__ import annotations

import json
import time

from telegram import Update
from telegram.ext import Application, ConversationHandler
from telegram.request import BaseRequest

from chat.i18n import load_all
from handlers.ui import keypad

BOT = {"id": 1, "is_bot": True, "first_name": "Wallet", "username": "WalletDemoBot"}
ALICE = {"id": 501, "is_bot": False, "first_name": "Alice", "language_code": "en"}
MALLORY = {"id": 666, "is_bot": False, "first_name": "Mallory", "language_code": "en"}


class RecordingRequest(BaseRequest):
    """Answers every Bot API call like Telegram would, and records it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.next_id = 100

    @property
    def read_timeout(self):
        return 5.0

    async def initialize(self) -> None: ...

    async def shutdown(self) -> None: ...

    async def do_request(self, url, method, request_data=None, **_):
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.calls.append((name, params))
        if name == "getMe":
            result = BOT
        elif name in ("sendMessage", "editMessageText"):
            self.next_id += 1
            chat = int(params.get("chat_id", ALICE["id"]))
            result = {"message_id": int(params.get("message_id", self.next_id)), "date": int(time.time()),
                      "chat": {"id": chat, "type": "private"}, "from": BOT, "text": params.get("text", "")}
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()


def _press(user: dict, data: str, message_id: int, update_id: int) -> dict:
    return {"update_id": update_id, "callback_query": {
        "id": f"q{update_id}", "from": user, "chat_instance": "ci", "data": data,
        "message": {"message_id": message_id, "date": int(time.time()), "chat": {"id": ALICE["id"], "type": "private"},
                    "from": BOT, "text": "keypad"}}}


async def test_someone_elses_press_on_a_live_keypad_is_refused_and_types_nothing(ctx):
    load_all()
    request = RecordingRequest()
    app = Application.builder().token("1:TEST").request(request).get_updates_request(RecordingRequest()).build()
    app.bot_data["wallet"] = ctx
    got: list[str] = []

    async def on_pin(update, context, pin):
        got.append(pin)
        return ConversationHandler.END

    for handler in keypad.state(on_pin):
        app.add_handler(handler)
    keypad.register(app)
    async with app:
        start = Update.de_json({"update_id": 1, "message": {
            "message_id": 5, "date": int(time.time()), "chat": {"id": ALICE["id"], "type": "private"},
            "from": ALICE, "text": "/pin"}}, app.bot)
        from telegram.ext import CallbackContext

        await keypad.show(start, CallbackContext.from_update(start, app), title="PIN")
        sent = next(p for name, p in request.calls if name == "sendMessage")
        markup = json.loads(sent["reply_markup"]) if isinstance(sent["reply_markup"], str) else sent["reply_markup"]
        keys = {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
        message_id = request.next_id

        for n, digit in enumerate("135790" * 2, start=2):  # Mallory taps the whole PIN, twice
            await app.process_update(Update.de_json(_press(MALLORY, keys[digit], message_id, n), app.bot))
        answers = [p for name, p in request.calls if name == "answerCallbackQuery"]
        assert len(answers) == 12 and all(a.get("show_alert") for a in answers)
        assert {a["text"] for a in answers} == {"This keypad belongs to someone else."}
        assert got == []

        for n, digit in enumerate("135790", start=20):  # Alice's own taps still start from nothing
            await app.process_update(Update.de_json(_press(ALICE, keys[digit], message_id, n), app.bot))
        assert got == ["135790"]
