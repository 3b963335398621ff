"""handlers/ui/common.py on a real Application, real Updates and the real database: the person's
language (wallet > choice > Telegram), time zone, drafts and their idempotency keys."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from telegram import Update
from telegram.ext import Application, CallbackContext

from handlers.topup_withdraw.draft import TopUpDraft
from handlers.ui import common as ui
from wallet.services import people


def update(user_id: int, language_code: str = "en") -> Update:
    return Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "text": "hi", "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "P", "language_code": language_code}}}, None)


@pytest.fixture
def app(ctx):
    application = Application.builder().token("1:fake").build()
    application.bot_data["wallet"] = ctx
    return application


def context(app, uid: int) -> CallbackContext:
    return CallbackContext.from_update(update(uid), app)


async def test_language_wallet_then_choice_then_telegram(app, ctx):
    u = update(7, "zh-TW")
    assert await ui.language(u, context(app, 7)) == "zh_CN"  # Telegram's
    c = context(app, 7)
    await ui.set_language(u, c, "en")  # chosen before a wallet exists: user_data only
    assert app.user_data[7]["lang"] == "en" and await ui.language(u, context(app, 7)) == "en"
    await people.open_wallet(ctx, key="k-open-7", user_id=7, language="zh-CN")
    assert await ui.language(u, context(app, 7)) == "zh_CN"  # the wallet's, once there is one
    await ui.set_language(u, context(app, 7), "en")
    assert (await people.profile(ctx, 7))["language"] == "en"


async def test_time_zone_and_formatting(app, ctx):
    u = update(8)
    assert (await ui.timezone(u, context(app, 8))).key == "Asia/Shanghai"
    await people.open_wallet(ctx, key="k-open-8", user_id=8)
    await people.set_timezone(ctx, 8, "Europe/Berlin")
    tz = await ui.timezone(u, context(app, 8))
    assert tz.key == "Europe/Berlin"
    assert ui.local_time(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc), tz) == "2026-12-01 13:00"
    assert ui.money(123456) == "¥1234.56" and ui.zone("Not/AZone").key == "Asia/Shanghai"


def test_a_draft_gives_one_key_a_new_draft_another(app):
    u = update(9)
    c = context(app, 9)
    typed = TopUpDraft.start(c, amount=100)
    d = ui.draft(context(app, 9), "topup")
    assert d == typed.as_draft()
    assert ui.op_key(u, "top_up", typed) == ui.op_key(u, "top_up", d) == ui.op_key(u, "top_up", d["nonce"])
    assert ui.op_key(u, "withdraw", d) != ui.op_key(u, "top_up", d)
    assert ui.op_key(u, "top_up", TopUpDraft.start(c, amount=100)) != ui.op_key(u, "top_up", d)
    assert ui.op_key(update(10), "top_up", d) != ui.op_key(u, "top_up", d)
    assert len(ui.op_key(u, "top_up", d)) <= 160
    ui.drop_draft(c, "topup")
    assert ui.draft(c, "topup") is None
