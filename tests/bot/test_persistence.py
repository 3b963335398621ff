"""DatabasePersistence on the real database (SQLite, and PostgreSQL when the suite runs on it):
what is written comes back in a new instance (a restart); in-memory keys and live objects never
reach the database; what is not JSON is refused loudly."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.persistence import BotData, DatabasePersistence, StateDict
from wallet.models import chat_state


async def _rows(ctx):
    async with ctx.engine.connect() as conn:
        return (await conn.execute(select(chat_state))).all()


async def test_user_chat_bot_data_and_conversations_survive_a_new_instance(ctx):
    p = DatabasePersistence(ctx, live_bot_data={"wallet": ctx})
    when = datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)
    await p.update_user_data(42, {"lang": "en", "draft:topup": {"nonce": "abc", "amount": 100}, "at": when,
                                  "_typed": ["1", "2"]})
    await p.update_chat_data(-5, {"card_message": 17})
    await p.update_bot_data({"wallet": ctx, "counter": 3})
    await p.update_conversation("onboarding", (42, 42), "ob.card")
    await p.update_conversation("topup", (42, 42), 2)

    q = DatabasePersistence(ctx, live_bot_data={"wallet": ctx})
    users = await q.get_user_data()
    assert users == {42: {"lang": "en", "draft:topup": {"nonce": "abc", "amount": 100}, "at": when}}
    assert isinstance(users[42], StateDict)
    assert await q.get_chat_data() == {-5: {"card_message": 17}}
    bot_data = await q.get_bot_data()
    assert isinstance(bot_data, BotData) and bot_data["counter"] == 3 and bot_data["wallet"] is ctx
    assert await q.get_conversations("onboarding") == {(42, 42): "ob.card"}
    assert await q.get_conversations("topup") == {(42, 42): 2}
    stored = " ".join(r.data for r in await _rows(ctx))
    assert "_typed" not in stored and "PiiBox" not in stored and "engine" not in stored.lower()

    await q.update_conversation("onboarding", (42, 42), None)  # the conversation ended
    await q.drop_user_data(42)
    r = DatabasePersistence(ctx)
    assert await r.get_conversations("onboarding") == {}
    assert await r.get_user_data() == {}
    assert await r.get_conversations("topup") == {(42, 42): 2}


async def test_writes_only_what_changed_and_updates_in_place(ctx):
    p = DatabasePersistence(ctx)
    await p.update_user_data(1, {"a": 1})
    first = (await _rows(ctx))[0].updated_at
    ctx.clock.advance(5)
    await p.update_user_data(1, {"a": 1})  # unchanged: no write
    assert (await _rows(ctx))[0].updated_at == first
    await p.update_user_data(1, {"a": 2})
    rows = await _rows(ctx)
    assert len(rows) == 1 and rows[0].updated_at > first and '"a": 2' in rows[0].data
    await p.update_user_data(2, {})  # PTB writes everyone's data after their update: no empty rows
    await p.update_chat_data(2, {"_only": "memory"})
    assert len(await _rows(ctx)) == 1
    await p.update_user_data(1, {})  # emptied: the row goes
    assert await _rows(ctx) == []


async def test_what_is_not_json_is_refused(ctx):
    p = DatabasePersistence(ctx)
    with pytest.raises(TypeError, match="'_'"):
        await p.update_user_data(1, {"obj": object()})
    with pytest.raises(TypeError):
        await p.update_user_data(1, {"x": {(1, 2): "tuple key"}})
    assert await _rows(ctx) == []


def test_ptb_deep_copy_leaves_out_memory_only_keys_and_live_objects():
    class Live:
        def __deepcopy__(self, memo):
            raise AssertionError("live objects must not be copied")

    data = BotData({"wallet": Live(), "settings": Live(), "_cache": Live(), "n": [1]})
    assert copy.deepcopy(data) == {"n": [1]}
    user = StateDict({"_keypad": Live(), "lang": "en"})
    assert copy.deepcopy(user) == {"lang": "en"}
