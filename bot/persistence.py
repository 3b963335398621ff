"""python-telegram-bot persistence in the wallet database (table ``chat_state``), not a pickle file.

user_data, chat_data, bot_data and conversation states are stored as JSON, so they survive a
restart of the bot on SQLite and PostgreSQL alike. Rules:

- Values must be JSON (dict, list, str, int, float, bool, None); tuples come back as lists,
  datetimes are kept (tagged). Anything else is refused loudly (TypeError) rather than lost.
- Keys of user_data / chat_data / bot_data that start with ``_`` stay in memory only: the PIN
  keypad and anything secret or live (objects, tasks) go there. A PIN or part of one is never
  written to the database.
- ``live_bot_data`` (the wallet Context, the settings) is merged into bot_data on load and never
  stored. Build the Application with ``context_types()`` (PTB deep-copies the data before it
  writes; these dicts copy only what is stored).
"""
from __future__ import annotations

import json
import logging
from copy import deepcopy
from datetime import datetime
from typing import Any

from telegram.ext import BasePersistence, ContextTypes, PersistenceInput

from wallet.context import Context
from wallet.services import chat_state

log = logging.getLogger("bot.persistence")

_DT = "$datetime"


def _encode(value: Any) -> Any:
    """Plain JSON with datetimes tagged; raises TypeError on anything else."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"persisted dict keys must be str or int, not {type(k).__name__}")
            out[str(k)] = _encode(v)
        return out
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return {_DT: value.isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot persist a {type(value).__name__}: keep it under a key starting with '_'")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_DT}:
            return datetime.fromisoformat(value[_DT])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _stored(data: dict, skip: frozenset[str] = frozenset()) -> dict:
    """The part of a data dict that is persisted: no ``_`` keys, no live keys."""
    return _encode({k: v for k, v in data.items()
                    if not (isinstance(k, str) and (k.startswith("_") or k in skip))})


class StateDict(dict):
    """user_data / chat_data / bot_data. PTB deep-copies them before writing; the copy leaves
    out in-memory-only keys (``_...``) and the bot's live objects, so those are never copied
    nor stored."""

    live_keys: frozenset[str] = frozenset()

    def __deepcopy__(self, memo):
        return {k: deepcopy(v, memo) for k, v in self.items()
                if not (isinstance(k, str) and (k.startswith("_") or k in self.live_keys))}


class BotData(StateDict):
    live_keys = frozenset({"settings", "wallet"})


def context_types() -> ContextTypes:
    """The ContextTypes to build the Application with (``builder.context_types(...)``)."""
    from handlers.ui.context import ChatContext

    return ContextTypes(context=ChatContext, user_data=StateDict, chat_data=StateDict, bot_data=BotData)


class DatabasePersistence(BasePersistence):
    """BasePersistence over ``wallet.services.chat_state``. ``update_interval`` is how often
    PTB writes what changed (and it always writes on a clean stop)."""

    def __init__(self, wallet: Context, *, live_bot_data: dict | None = None, update_interval: float = 1.0) -> None:
        super().__init__(store_data=PersistenceInput(callback_data=False), update_interval=update_interval)
        self.wallet = wallet
        self.live_bot_data = dict(live_bot_data or {})
        self._written: dict[tuple[str, str, str], Any] = {}  # what the database holds, to skip no-op writes

    # --- loading ------------------------------------------------------------------------------
    async def _load_ids(self, kind: str) -> dict[int, dict]:
        docs = await chat_state.load(self.wallet, kind)
        for key, value in docs.items():
            self._written[(kind, "", key)] = value
        return {int(key): StateDict(_decode(value)) for key, value in docs.items()}

    async def get_user_data(self) -> dict[int, dict]:
        return await self._load_ids("user")

    async def get_chat_data(self) -> dict[int, dict]:
        return await self._load_ids("chat")

    async def get_bot_data(self) -> dict:
        docs = await chat_state.load(self.wallet, "bot")
        stored = docs.get("", {})
        if "" in docs:
            self._written[("bot", "", "")] = stored
        return BotData({**_decode(stored), **self.live_bot_data})

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> dict:
        docs = await chat_state.load(self.wallet, "conv", name)
        out = {}
        for key, value in docs.items():
            self._written[("conv", name, key)] = value
            out[tuple(json.loads(key))] = value["state"]
        return out

    # --- writing ------------------------------------------------------------------------------
    async def _put(self, kind: str, name: str, key: str, value: Any) -> None:
        if value == {}:  # nothing to keep: no row (PTB marks every person's data after each update)
            value = None
        if self._written.get((kind, name, key)) == value:
            return
        await chat_state.save(self.wallet, [(kind, name, key, value)])
        if value is None:
            self._written.pop((kind, name, key), None)
        else:
            self._written[(kind, name, key)] = deepcopy(value)

    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        doc = None if new_state is None else {"state": _encode(new_state)}
        await self._put("conv", name, json.dumps(list(key)), doc)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._put("user", "", str(user_id), _stored(data))

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await self._put("chat", "", str(chat_id), _stored(data))

    async def update_bot_data(self, data: dict) -> None:
        await self._put("bot", "", "", _stored(data, frozenset(self.live_bot_data)))

    async def update_callback_data(self, data: Any) -> None:  # callback_data is not stored
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self._put("user", "", str(user_id), None)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._put("chat", "", str(chat_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def flush(self) -> None:
        return None
