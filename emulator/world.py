"""The emulator's world: people, chats, messages, files, pending updates, the SMS inbox, faults.

Everything lives in memory. Methods that change the world call `_changed()`, which bumps
`version` and wakes everyone waiting (long polls of the bot and of the web chat).
"""
from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from emulator.formatting import detect_entities

DEFAULT_TOKEN = "7000000001:LOCAL-emulator-token_not-a-secret"


class ApiError(Exception):
    """A Telegram error answer: error_code, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class User:
    id: int
    first_name: str
    is_bot: bool = False
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone_number: str | None = None
    blocked_bot: bool = False
    started_bot: bool = False

    def to_api(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def to_control(self) -> dict:
        out = self.to_api()
        out.update(phone_number=self.phone_number, blocked_bot=self.blocked_bot, started_bot=self.started_bot)
        return out


@dataclass
class Chat:
    id: int
    type: str  # "private" | "group"
    title: str | None = None
    member_ids: list[int] = field(default_factory=list)  # people; the bot's membership is bot_member
    bot_member: bool = True
    next_message_id: int = 1

    def to_api(self, world: "World") -> dict:
        if self.type == "private":
            user = world.users[self.id]
            out: dict[str, Any] = {"id": self.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                out["last_name"] = user.last_name
            if user.username:
                out["username"] = user.username
            return out
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class File:
    file_id: str
    file_unique_id: str
    data: bytes
    kind: str  # "photo" | "document"
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_path(self) -> str:
        ext = (self.file_name or "").rsplit(".", 1)[-1] if "." in (self.file_name or "") else "bin"
        folder = "photos" if self.kind == "photo" else "documents"
        return f"{folder}/{self.file_unique_id}.{ext}"


@dataclass
class Message:
    chat_id: int
    message_id: int
    from_id: int
    date: int
    text: str | None = None
    entities: list[dict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    reply_markup: dict | None = None
    reply_to_message_id: int | None = None
    photo_file_id: str | None = None
    document_file_id: str | None = None
    contact: dict | None = None
    via_bot: bool = False
    inline_message_id: str | None = None
    edit_date: int | None = None
    deleted: bool = False
    version: int = 0
    service: dict | None = None  # e.g. {"new_chat_members": [...]} or {"group_chat_created": True}


class World:
    """State of the emulated Telegram, shared by the Bot API, the control API and the web chat."""

    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "WalletDemoBot",
                 bot_first_name: str = "Wallet") -> None:
        self.token = token
        head = token.split(":", 1)[0]
        bot_id = int(head) if head.isdigit() else 7000000001
        self.bot = User(id=bot_id, first_name=bot_first_name, is_bot=True, username=bot_username)
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[tuple[int, int], Message] = {}
        self.inline_messages: dict[str, tuple[int, int]] = {}
        self.files: dict[str, File] = {}
        self.updates: list[dict] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] | None = None
        self.commands: dict[str, list[dict]] = {}
        self.callback_answers: dict[str, dict | None] = {}
        self.callback_origin: dict[str, int] = {}
        self.inline_queries: dict[str, dict] = {}
        self.sms: dict[str, list[dict]] = {}
        self.chat_actions: dict[int, tuple[str, float]] = {}
        self.faults: dict[str, Any] = {"rate_limit": None, "drop_polls": 0}
        self.poll_generation = 0
        self.closing = False
        self._ids = itertools.count(100000001)
        self._group_ids = itertools.count(1)
        self.version = getattr(self, "version", 0) + 1
        self._wake()

    def _wake(self) -> None:
        event = getattr(self, "_event", None)
        self._event = asyncio.Event()
        if event is not None:
            event.set()

    def _changed(self) -> int:
        self.version += 1
        self._wake()
        return self.version

    async def wait_change(self, timeout: float) -> None:
        """Wait until the world changes (or timeout); callers re-check their condition."""
        if timeout <= 0 or self.closing:
            return
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def close(self) -> None:
        self.closing = True
        self._wake()

    # ---- people and chats ------------------------------------------------------------------
    def add_user(self, first_name: str, username: str | None = None, language_code: str | None = None,
                 last_name: str | None = None, phone_number: str | None = None) -> User:
        if not first_name or not str(first_name).strip():
            raise bad_request("first_name is required")
        if username and any(u.username and u.username.lower() == username.lower() for u in self.users.values()):
            raise bad_request("username is taken")
        user = User(id=next(self._ids), first_name=str(first_name), username=username or None,
                    language_code=language_code or None, last_name=last_name or None,
                    phone_number=phone_number or None)
        self.users[user.id] = user
        self.chats[user.id] = Chat(id=user.id, type="private", member_ids=[user.id])
        self._changed()
        return user

    def user(self, user_id: Any) -> User:
        try:
            return self.users[int(user_id)]
        except (KeyError, TypeError, ValueError):
            raise ApiError(404, f"user not found: {user_id}") from None

    def add_group(self, title: str, member_ids: list[int]) -> Chat:
        if not title:
            raise bad_request("title is required")
        members = [self.user(uid).id for uid in member_ids]
        chat = Chat(id=-(4000000000 + next(self._group_ids)), type="group", title=title, member_ids=members)
        self.chats[chat.id] = chat
        creator = members[0] if members else None
        if creator is not None:
            self._store(chat, creator, service={"group_chat_created": True})
        self._bot_membership(chat, creator, "left", "member")
        return chat

    def add_member(self, chat_id: int, user_id: int) -> Chat:
        chat = self.chat(chat_id)
        user = self.user(user_id)
        if chat.type == "private":
            raise bad_request("can't add members to a private chat")
        if user.id not in chat.member_ids:
            chat.member_ids.append(user.id)
            msg = self._store(chat, user.id, service={"new_chat_members": [user.id]})
            self._push("message", self.message_to_api(msg))
        return chat

    def _bot_membership(self, chat: Chat, by: int | None, old: str, new: str) -> None:
        by_user = self.users[by].to_api() if by is not None else self.bot.to_api()
        payload = {
            "chat": chat.to_api(self),
            "from": by_user,
            "date": int(time.time()),
            "old_chat_member": {"user": self.bot.to_api(), "status": old, **({"until_date": 0} if old == "kicked" else {})},
            "new_chat_member": {"user": self.bot.to_api(), "status": new, **({"until_date": 0} if new == "kicked" else {})},
        }
        self._push("my_chat_member", payload)

    def chat(self, chat_id: Any) -> Chat:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for user in self.users.values():
                if user.username and user.username.lower() == chat_id[1:].lower():
                    return self.chats[user.id]
            raise bad_request("chat not found")
        try:
            return self.chats[int(chat_id)]
        except (KeyError, TypeError, ValueError):
            raise bad_request("chat not found") from None

    def chats_of(self, user_id: int) -> list[Chat]:
        return [c for c in self.chats.values() if user_id in c.member_ids]

    def set_blocked(self, user_id: int, blocked: bool) -> User:
        user = self.user(user_id)
        if user.blocked_bot != blocked:
            user.blocked_bot = blocked
            chat = self.chats[user.id]
            payload = {
                "chat": chat.to_api(self), "from": user.to_api(), "date": int(time.time()),
                "old_chat_member": {"user": self.bot.to_api(), **({"status": "member"} if blocked else {"status": "kicked", "until_date": 0})},
                "new_chat_member": {"user": self.bot.to_api(), **({"status": "kicked", "until_date": 0} if blocked else {"status": "member"})},
            }
            self._push("my_chat_member", payload)
        return user

    # ---- messages --------------------------------------------------------------------------
    def _store(self, chat: Chat, from_id: int, **fields: Any) -> Message:
        msg = Message(chat_id=chat.id, message_id=chat.next_message_id, from_id=from_id,
                      date=int(time.time()), **fields)
        chat.next_message_id += 1
        self.messages[(chat.id, msg.message_id)] = msg
        msg.version = self._changed()
        return msg

    def get_message(self, chat_id: int, message_id: Any, *, for_delete: bool = False) -> Message:
        try:
            msg = self.messages.get((chat_id, int(message_id)))
        except (TypeError, ValueError):
            msg = None
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found" if for_delete else "message to edit not found")
        return msg

    def member_check(self, chat: Chat, user: User) -> None:
        if user.id not in chat.member_ids:
            raise ApiError(403, f"{user.first_name} is not a member of chat {chat.id}")

    def user_sends(self, user_id: int, chat_id: int, text: str | None = None, *,
                   reply_to_message_id: int | None = None, contact: dict | None = None,
                   via_bot: bool = False, entities: list[dict] | None = None,
                   reply_markup: dict | None = None, inline_message_id: str | None = None) -> Message:
        """A person writes into a chat; the bot gets a message update (unless it was sent via the bot)."""
        user = self.user(user_id)
        chat = self.chat(chat_id)
        self.member_check(chat, user)
        if text is not None and not text.strip() and contact is None:
            raise bad_request("message text is empty")
        if text is not None and len(text) > 4096:
            raise bad_request("message is too long")
        if reply_to_message_id is not None:
            self.get_message(chat.id, reply_to_message_id)
        if chat.type == "private":
            if user.blocked_bot:
                user.blocked_bot = False  # writing to a blocked bot unblocks it, as in Telegram
            user.started_bot = True
        msg = self._store(chat, user.id, text=text, reply_to_message_id=reply_to_message_id, contact=contact,
                          entities=entities if entities is not None else (detect_entities(text) if text else []),
                          via_bot=via_bot, reply_markup=reply_markup, inline_message_id=inline_message_id)
        if inline_message_id:
            self.inline_messages[inline_message_id] = (chat.id, msg.message_id)
        if chat.bot_member and not via_bot:
            self._push("message", self.message_to_api(msg))
        return msg

    def bot_sends(self, chat: Chat, **fields: Any) -> Message:
        return self._store(chat, self.bot.id, **fields)

    def edit(self, msg: Message, **fields: Any) -> Message:
        for key, value in fields.items():
            setattr(msg, key, value)
        msg.edit_date = int(time.time())
        msg.version = self._changed()
        return msg

    def delete(self, msg: Message) -> None:
        msg.deleted = True
        msg.version = self._changed()

    def resolve_inline(self, inline_message_id: str) -> Message:
        where = self.inline_messages.get(inline_message_id)
        if where is None:
            raise bad_request("message to edit not found")
        return self.get_message(*where)

    # ---- rendering -------------------------------------------------------------------------
    def message_to_api(self, msg: Message, *, nested: bool = True) -> dict:
        chat = self.chats[msg.chat_id]
        sender = self.bot if msg.from_id == self.bot.id else self.users[msg.from_id]
        out: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date, "chat": chat.to_api(self),
                               "from": sender.to_api()}
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        if msg.caption is not None:
            out["caption"] = msg.caption
            if msg.caption_entities:
                out["caption_entities"] = msg.caption_entities
        if msg.photo_file_id:
            f = self.files[msg.photo_file_id]
            out["photo"] = [self.photo_size(f)]
        if msg.document_file_id:
            out["document"] = self.document(self.files[msg.document_file_id])
        if msg.contact:
            out["contact"] = msg.contact
        if msg.via_bot:
            out["via_bot"] = self.bot.to_api()
        if msg.edit_date:
            out["edit_date"] = msg.edit_date
        if msg.reply_markup and msg.reply_markup.get("inline_keyboard") is not None:
            out["reply_markup"] = msg.reply_markup
        if msg.reply_to_message_id and nested:
            replied = self.messages.get((msg.chat_id, msg.reply_to_message_id))
            if replied is not None and not replied.deleted:
                out["reply_to_message"] = self.message_to_api(replied, nested=False)
        if msg.service:
            if msg.service.get("group_chat_created"):
                out["group_chat_created"] = True
            if msg.service.get("new_chat_members"):
                out["new_chat_members"] = [self.users[i].to_api() for i in msg.service["new_chat_members"]]
        return out

    def photo_size(self, f: File) -> dict:
        return {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "width": f.width or 1,
                "height": f.height or 1, "file_size": len(f.data)}

    def document(self, f: File) -> dict:
        out = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.data)}
        if f.file_name:
            out["file_name"] = f.file_name
        if f.mime_type:
            out["mime_type"] = f.mime_type
        return out

    # ---- files -----------------------------------------------------------------------------
    def add_file(self, data: bytes, kind: str, file_name: str | None, mime_type: str | None) -> File:
        from emulator.images import image_size

        unique = secrets.token_hex(8)
        width, height = image_size(data) if kind == "photo" else (0, 0)
        f = File(file_id=f"{'AgAC' if kind == 'photo' else 'BQAC'}{unique}{secrets.token_hex(8)}",
                 file_unique_id=unique, data=data, kind=kind, file_name=file_name, mime_type=mime_type,
                 width=width, height=height)
        self.files[f.file_id] = f
        return f

    def file_by_path(self, path: str) -> File | None:
        return next((f for f in self.files.values() if f.file_path == path), None)

    # ---- updates ---------------------------------------------------------------------------
    def _push(self, kind: str, payload: dict) -> dict:
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        self._changed()
        return update

    def pending_updates(self, offset: int | None, limit: int, allowed: list[str] | None) -> list[dict]:
        if offset is not None:
            if offset < 0:
                self.updates = self.updates[offset:]
            else:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if allowed is not None:
            self.allowed_updates = allowed or None
        if self.allowed_updates:
            keep = set(self.allowed_updates)
            self.updates = [u for u in self.updates if (set(u) - {"update_id"}) & keep]
        return self.updates[:limit]

    def push_callback(self, user: User, msg: Message, data: str, via_inline: bool) -> str:
        query_id = str(next(self._ids)) + secrets.token_hex(4)
        payload: dict[str, Any] = {"id": query_id, "from": user.to_api(), "data": data,
                                   "chat_instance": str(abs(msg.chat_id) * 7919 % 10**12)}
        if via_inline:
            payload["inline_message_id"] = msg.inline_message_id
        else:
            payload["message"] = self.message_to_api(msg)
        self.callback_answers[query_id] = None
        self.callback_origin[query_id] = user.id
        self._push("callback_query", payload)
        return query_id

    def push_inline_query(self, user: User, query: str, chat_type: str | None) -> str:
        query_id = str(next(self._ids)) + secrets.token_hex(4)
        payload: dict[str, Any] = {"id": query_id, "from": user.to_api(), "query": query, "offset": ""}
        if chat_type:
            payload["chat_type"] = chat_type
        self.inline_queries[query_id] = {"user_id": user.id, "query": query, "results": None}
        self._push("inline_query", payload)
        return query_id

    def push_chosen(self, user: User, result_id: str, query: str, inline_message_id: str | None) -> None:
        payload: dict[str, Any] = {"result_id": result_id, "from": user.to_api(), "query": query}
        if inline_message_id:
            payload["inline_message_id"] = inline_message_id
        self._push("chosen_inline_result", payload)

    # ---- SMS -------------------------------------------------------------------------------
    def add_sms(self, phone_number: str, text: str) -> dict:
        sms = {"id": next(self._ids), "phone_number": phone_number, "text": text, "date": int(time.time())}
        self.sms.setdefault(normalize_phone(phone_number), []).append(sms)
        self._changed()
        return sms

    def inbox(self, phone_number: str) -> list[dict]:
        return list(self.sms.get(normalize_phone(phone_number), []))


def normalize_phone(phone: str) -> str:
    digits = "".join(ch for ch in str(phone) if ch.isdigit())
    return digits
