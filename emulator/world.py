"""The emulator's world: people, chats, messages, files, pending updates, the SMS inbox, faults.

Everything lives in memory. Methods that change the world call `_changed()`, which bumps
`version` and wakes everyone waiting (long polls of the bot and of the web chat).
"""
from __future__ import annotations

import asyncio
import copy
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from emulator.formatting import detect_entities, utf16_slice

DEFAULT_TOKEN = "7000000001:LOCAL-emulator-token_not-a-secret"
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
UPDATE_LOG_SIZE = 10_000  # updates kept for /control/redeliver


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
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    member_ids: list[int] = field(default_factory=list)  # people; the bot's membership is bot_member
    bot_member: bool = True
    bot_kicked: bool = False  # removed by a person (not left by itself)
    migrated_to: int | None = None  # a basic group upgraded to this supergroup
    migrated_from: int | None = None
    next_message_id: int = 1

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def kind_text(self) -> str:
        """How Telegram's errors name this chat: "group chat" or "supergroup chat"."""
        return "supergroup chat" if self.type == "supergroup" else "group chat"

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
    sizes: list[str] = field(default_factory=list)  # a photo: file_ids of its sizes, smallest first
    photo_of: str | None = None  # a photo's smaller size: the file_id of the photo it belongs to

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
    edits: list[float] = field(default_factory=list)  # when each edit came (unix time, fractions kept)
    deleted: bool = False
    version: int = 0
    service: dict | None = None  # e.g. {"new_chat_members": [...]} or {"group_chat_created": True}
    users_shared: dict | None = None  # {"request_id": n, "users": [...]}


class World:
    """State of the emulated Telegram, shared by the Bot API, the control API and the web chat."""

    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "WalletDemoBot",
                 bot_first_name: str = "Wallet", privacy_mode: bool = True) -> None:
        self.token = token
        head = token.split(":", 1)[0]
        bot_id = int(head) if head.isdigit() else 7000000001
        self.bot = User(id=bot_id, first_name=bot_first_name, is_bot=True, username=bot_username)
        # Settings of the bot (BotFather's, and its webhook) outlive a reset of the world, as does
        # the update_id counter: a bot that keeps its offset across a reset must not lose updates.
        self.privacy_mode = privacy_mode  # Telegram's default: in groups, only commands, replies, mentions
        self.webhook: dict | None = None  # {"url", "secret_token", "max_connections", "set_at"}
        self.webhook_error: tuple[int, str] | None = None  # (unix date, message) of the last failed delivery
        self.webhook_max_retry_delay = 60.0
        self.webhook_in_flight: set[int] = set()  # update_ids being POSTed now
        self.webhook_delivered = 0  # updates the webhook accepted (2xx), in all
        self.webhook_next_set = 0.0  # setWebhook with a URL at most once a second, as Telegram
        self.poll_abort = ""
        self.next_update_id = 1
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[tuple[int, int], Message] = {}
        self.inline_messages: dict[str, tuple[int, int]] = {}
        self.files: dict[str, File] = {}
        self.updates: list[dict] = []
        self.update_queues: dict[int, tuple] = {}  # update_id -> its webhook queue (a chat, a user's queries)
        # the newest updates ever produced (update_id -> (kind, payload, queue)), for /control/redeliver
        self.update_log: dict[int, tuple[str, dict, tuple]] = {}
        self.callback_updates: dict[str, int] = {}  # callback query id -> the update_id that carried it
        self.allowed_updates: list[str] | None = None
        self.commands: dict[str, list[dict]] = {}
        self.callback_answers: dict[str, dict | None] = {}
        self.callback_origin: dict[str, int] = {}
        self.inline_queries: dict[str, dict] = {}
        self.sms: dict[str, list[dict]] = {}
        self.chat_actions: dict[int, tuple[str, float]] = {}
        self.faults: dict[str, Any] = {"rate_limit": None, "drop_polls": 0}
        self.poll_generation = getattr(self, "poll_generation", 0)  # a running long poll goes on
        self.closing = False
        self._ids = itertools.count(100000001)
        self._group_ids = itertools.count(1)
        self._supergroup_ids = itertools.count(1)
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

    def abort_poll(self, reason: str) -> int:
        """End a running long poll (it answers 409 `reason`); returns the new poll's generation."""
        self.poll_generation += 1
        self.poll_abort = reason
        self._wake()
        return self.poll_generation

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

    def add_group(self, title: str, member_ids: list[int], type: str = "group") -> Chat:
        """A group (or supergroup, ids -100…) made by its first member, with the bot in it: the bot
        gets the `group_chat_created` / `supergroup_chat_created` message and `my_chat_member`."""
        if not title:
            raise bad_request("title is required")
        if type not in ("group", "supergroup"):
            raise bad_request('type must be "group" or "supergroup"')
        members = [self.user(uid).id for uid in member_ids]
        if type == "supergroup":
            chat_id = -(1000000000000 + 2000000000 + next(self._supergroup_ids))
        else:
            chat_id = -(4000000000 + next(self._group_ids))
        chat = Chat(id=chat_id, type=type, title=title, member_ids=members)
        self.chats[chat.id] = chat
        creator = members[0] if members else None
        if creator is not None:
            created = "supergroup_chat_created" if type == "supergroup" else "group_chat_created"
            msg = self._store(chat, creator, service={created: True})
            self._push("message", self.message_to_api(msg), ("chat", chat.id))
        self._bot_membership(chat, creator, "left", "member")
        return chat

    def add_member(self, chat_id: int, user_id: int, by: int | None = None) -> Chat:
        chat = self.chat(chat_id)
        self._usable_group(chat)
        if int(user_id) == self.bot.id:  # the bot added (again) to a group it left or was removed from
            if not chat.bot_member:
                adder = by if by is not None else (chat.member_ids[0] if chat.member_ids else None)
                old = "kicked" if chat.bot_kicked else "left"
                chat.bot_member, chat.bot_kicked = True, False
                msg = self._store(chat, adder if adder is not None else self.bot.id,
                                  service={"new_chat_members": [self.bot.id]})
                self._push("message", self.message_to_api(msg), ("chat", chat.id))
                self._bot_membership(chat, adder, old, "member")
            return chat
        user = self.user(user_id)
        if user.id not in chat.member_ids:
            chat.member_ids.append(user.id)
            msg = self._store(chat, by if by is not None else user.id, service={"new_chat_members": [user.id]})
            if chat.bot_member:
                self._push("message", self.message_to_api(msg), ("chat", chat.id))
        return chat

    def remove_member(self, chat_id: int, by: int, member_id: int) -> Chat:
        """`by` removes `member_id` (a person, or the bot) from a group; by == member_id: they leave."""
        chat = self.chat(chat_id)
        self._usable_group(chat)
        actor = self.user(by)
        self.member_check(chat, actor)
        if int(member_id) == self.bot.id:
            if not chat.bot_member:
                raise bad_request("the bot is not a member of this chat")
            chat.bot_member, chat.bot_kicked = False, True
            self._store(chat, actor.id, service={"left_chat_member": self.bot.id})
            self._bot_membership(chat, actor.id, "member", "kicked")
            return chat
        member = self.user(member_id)
        if member.id not in chat.member_ids:
            raise bad_request(f"{member.first_name} is not a member of this chat")
        chat.member_ids.remove(member.id)
        msg = self._store(chat, actor.id, service={"left_chat_member": member.id})
        if chat.bot_member:
            self._push("message", self.message_to_api(msg), ("chat", chat.id))
        return chat

    def migrate(self, chat_id: int, by: int) -> Chat:
        """Upgrade a basic group to a supergroup: members and the bot move over; the bot gets
        `migrate_to_chat_id` in the old group and `migrate_from_chat_id` in the new one."""
        old = self.chat(chat_id)
        self._usable_group(old)
        if old.type != "group":
            raise bad_request("only a basic group can be upgraded to a supergroup")
        actor = self.user(by)
        self.member_check(old, actor)
        new = Chat(id=-(1000000000000 + 2000000000 + next(self._supergroup_ids)), type="supergroup",
                   title=old.title, member_ids=list(old.member_ids), bot_member=old.bot_member,
                   bot_kicked=old.bot_kicked, migrated_from=old.id)
        self.chats[new.id] = new
        old.migrated_to = new.id
        first = self._store(old, actor.id, service={"migrate_to_chat_id": new.id})
        second = self._store(new, actor.id, service={"migrate_from_chat_id": old.id})
        if old.bot_member:
            self._push("message", self.message_to_api(first), ("chat", old.id))
            self._push("message", self.message_to_api(second), ("chat", new.id))
        return new

    def _usable_group(self, chat: Chat) -> None:
        if chat.type == "private":
            raise bad_request("this is a private chat, not a group")
        if chat.migrated_to is not None:
            raise bad_request(f"the group was upgraded to the supergroup {chat.migrated_to}")

    def _bot_membership(self, chat: Chat, by: int | None, old: str, new: str) -> None:
        by_user = self.users[by].to_api() if by is not None else self.bot.to_api()
        payload = {
            "chat": chat.to_api(self),
            "from": by_user,
            "date": int(time.time()),
            "old_chat_member": {"user": self.bot.to_api(), "status": old, **({"until_date": 0} if old == "kicked" else {})},
            "new_chat_member": {"user": self.bot.to_api(), "status": new, **({"until_date": 0} if new == "kicked" else {})},
        }
        self._push("my_chat_member", payload, ("member", chat.id))

    def chat(self, chat_id: Any) -> Chat:
        """A chat by id. `@username` names only public groups and channels on Telegram, never a
        person (Telegram: "chat not found"), and this world has no public groups."""
        if isinstance(chat_id, str) and chat_id.strip().startswith("@"):
            raise bad_request("chat not found")
        try:
            return self.chats[int(chat_id)]
        except (KeyError, TypeError, ValueError):
            raise bad_request("chat not found") from None

    def chats_of(self, user_id: int) -> list[Chat]:
        return [c for c in self.chats.values() if user_id in c.member_ids and c.migrated_to is None]

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
            self._push("my_chat_member", payload, ("member", chat.id))
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
                   reply_markup: dict | None = None, inline_message_id: str | None = None,
                   users_shared: dict | None = None) -> Message:
        """A person writes into a chat; the bot gets a message update (unless it was sent via the bot,
        or privacy mode keeps a group message from it)."""
        user = self.user(user_id)
        chat = self.chat(chat_id)
        self.member_check(chat, user)
        if chat.migrated_to is not None:
            raise bad_request(f"the group was upgraded to the supergroup {chat.migrated_to}: write there")
        if text is not None and not text.strip() and contact is None and users_shared is None:
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
                          via_bot=via_bot, reply_markup=reply_markup, inline_message_id=inline_message_id,
                          users_shared=users_shared)
        if inline_message_id:
            self.inline_messages[inline_message_id] = (chat.id, msg.message_id)
        if chat.bot_member and not via_bot and self.bot_sees(chat, msg):
            self._push("message", self.message_to_api(msg), ("chat", chat.id))
        return msg

    def bot_sees(self, chat: Chat, msg: Message) -> bool:
        """Privacy mode (on by default, as on Telegram): in groups the bot gets only commands (its own,
        or without a bot's name), replies to its messages and mentions of it; service messages and
        private chats always."""
        if chat.type == "private" or not self.privacy_mode or msg.service:
            return True
        text = msg.text or msg.caption or ""
        entities = msg.entities if msg.text is not None else msg.caption_entities
        me = (self.bot.username or "").lower()
        for e in entities or []:
            piece = utf16_slice(text, e["offset"], e["length"])
            if e["type"] == "bot_command" and e["offset"] == 0:
                _, _, target = piece.partition("@")
                if not target or target.lower() == me:
                    return True
            if e["type"] == "mention" and piece[1:].lower() == me:
                return True
            if e["type"] == "text_mention" and (e.get("user") or {}).get("id") == self.bot.id:
                return True
        if msg.reply_to_message_id is not None:
            replied = self.messages.get((chat.id, msg.reply_to_message_id))
            if replied is not None and replied.from_id == self.bot.id:
                return True
        return False

    def share_users(self, user_id: int, chat_id: int, user_ids: list[int], request_id: int | None = None,
                    button: str | None = None) -> Message:
        """What a `request_users` button sends: the chosen people as a `users_shared` service message."""
        user = self.user(user_id)
        chat = self.chat(chat_id)
        self.member_check(chat, user)
        wanted = self._request_users_button(chat, request_id, button)
        spec = wanted["request_users"]
        if not isinstance(user_ids, list) or not user_ids:
            raise bad_request("user_ids must be a non-empty list")
        limit = int(spec.get("max_quantity") or 1)
        if len(user_ids) > limit:
            raise bad_request(f"this button lets you share at most {limit} user(s)")
        if spec.get("user_is_bot") is True:
            raise bad_request("this button asks for bots, and there are none to share here")
        shared = []
        for uid in user_ids:
            person = self.user(uid)
            if person.id in [s["user_id"] for s in shared]:
                raise bad_request(f"{person.first_name} is listed twice")
            item: dict[str, Any] = {"user_id": person.id}
            if spec.get("request_name"):
                item["first_name"] = person.first_name
                if person.last_name:
                    item["last_name"] = person.last_name
            if spec.get("request_username") and person.username:
                item["username"] = person.username
            shared.append(item)
        payload = {"user_ids": [s["user_id"] for s in shared], "users": shared, "request_id": spec["request_id"]}
        return self.user_sends(user.id, chat.id, None, users_shared=payload)

    def _request_users_button(self, chat: Chat, request_id: int | None, button: str | None) -> dict:
        """The newest `request_users` button of the bot's reply keyboards in this chat that matches."""
        bot_msgs = sorted((m for (cid, _), m in self.messages.items()
                           if cid == chat.id and m.from_id == self.bot.id and not m.deleted and m.reply_markup),
                          key=lambda m: m.message_id, reverse=True)
        for m in bot_msgs:
            for row in m.reply_markup.get("keyboard") or []:
                for b in row:
                    if not isinstance(b, dict) or not isinstance(b.get("request_users"), dict):
                        continue
                    if request_id is not None and b["request_users"].get("request_id") == int(request_id):
                        return b
                    if request_id is None and (button is None or button in b.get("text", "")):
                        return b
        what = f"request_id {request_id}" if request_id is not None else (f"text {button!r}" if button else "any text")
        raise ApiError(404, f"no request_users button with {what} in the bot's keyboards of this chat")

    def open_link(self, user_id: int, url: str) -> tuple[Chat, Message | None]:
        """A person opens a t.me link of this bot: the private chat opens, and `?start=<payload>`
        sends `/start <payload>` (a bare link sends `/start` only if the person never started the bot)."""
        from urllib.parse import parse_qs, urlsplit

        user = self.user(user_id)
        raw = str(url or "").strip()
        if not raw:
            raise bad_request("url is required")
        if "://" not in raw:
            raw = "https://" + raw
        parts = urlsplit(raw)
        query = parse_qs(parts.query, keep_blank_values=True)
        if parts.scheme == "tg":
            if parts.netloc != "resolve":
                raise bad_request(f"not a link to a bot: {url}")
            name = (query.get("domain") or [""])[0]
        elif parts.netloc.lower() in ("t.me", "telegram.me", "www.t.me", "telegram.dog"):
            name = parts.path.strip("/").split("/")[0]
        else:
            raise bad_request(f"not a t.me link: {url}")
        if name.lower() != (self.bot.username or "").lower():
            raise ApiError(404, f"no bot @{name} in this world (the bot is @{self.bot.username})")
        if "startgroup" in query or "startchannel" in query:
            raise bad_request("startgroup/startchannel links are not supported here; use POST /control/chats")
        chat = self.chats[user.id]
        if "start" not in query:
            if user.started_bot and not user.blocked_bot:
                return chat, None
            return chat, self.user_sends(user.id, chat.id, "/start")
        payload = query["start"][0]
        if not START_PAYLOAD.fullmatch(payload):
            raise bad_request("the start parameter must be 1-64 characters of A-Z, a-z, 0-9, _ and -")
        return chat, self.user_sends(user.id, chat.id, f"/start {payload}")

    def bot_sends(self, chat: Chat, **fields: Any) -> Message:
        return self._store(chat, self.bot.id, **fields)

    def edit(self, msg: Message, **fields: Any) -> Message:
        for key, value in fields.items():
            setattr(msg, key, value)
        now = time.time()
        msg.edit_date = int(now)
        msg.edits.append(now)
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
            out["photo"] = self.photo_sizes(self.files[msg.photo_file_id])
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
        if msg.users_shared:
            out["users_shared"] = msg.users_shared
        if msg.service:
            for flag in ("group_chat_created", "supergroup_chat_created"):
                if msg.service.get(flag):
                    out[flag] = True
            for key in ("migrate_to_chat_id", "migrate_from_chat_id"):
                if msg.service.get(key):
                    out[key] = msg.service[key]
            if msg.service.get("new_chat_members"):
                members = [self.someone(i).to_api() for i in msg.service["new_chat_members"]]
                out["new_chat_members"] = members
                out["new_chat_member"] = members[0]  # the Bot API still sends the old single field too
                out["new_chat_participant"] = members[0]
            if msg.service.get("left_chat_member"):
                out["left_chat_member"] = self.someone(msg.service["left_chat_member"]).to_api()
                out["left_chat_participant"] = out["left_chat_member"]
        return out

    def someone(self, user_id: int) -> User:
        return self.bot if user_id == self.bot.id else self.users[user_id]

    def photo_sizes(self, f: File) -> list[dict]:
        """A photo as Telegram sends it: its sizes, smallest first (thumbnails, then the photo)."""
        return [self.photo_size(self.files[i]) for i in f.sizes] if f.sizes else [self.photo_size(f)]

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
        """A new file; a photo also gets Telegram's smaller sizes (longest side 90, 320, 800, 1280)."""
        from emulator.images import image_size, thumbnails

        f = self._new_file(data, kind, file_name, mime_type, *(image_size(data) if kind == "photo" else (0, 0)))
        if kind == "photo":
            for thumb, width, height in thumbnails(data, f.width, f.height):
                small = self._new_file(thumb, "photo", "thumb.jpg", "image/jpeg", width, height)
                small.photo_of = f.file_id
                f.sizes.append(small.file_id)
            if f.sizes:
                f.sizes.append(f.file_id)
        return f

    def _new_file(self, data: bytes, kind: str, file_name: str | None, mime_type: str | None,
                  width: int, height: int) -> File:
        unique = secrets.token_hex(8)
        f = File(file_id=f"{'AgAC' if kind == 'photo' else 'BQAC'}{unique}{secrets.token_hex(8)}",
                 file_unique_id=unique, data=data, kind=kind, file_name=file_name, mime_type=mime_type,
                 width=width, height=height)
        self.files[f.file_id] = f
        return f

    def file_by_path(self, path: str) -> File | None:
        return next((f for f in self.files.values() if f.file_path == path), None)

    # ---- updates ---------------------------------------------------------------------------
    def _push(self, kind: str, payload: dict, queue: tuple | None = None) -> dict:
        """A new update. `queue` is its webhook queue (Telegram delivers one update at a time per
        chat, and a user's callback and inline queries each in their own queue)."""
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        self.update_queues[update["update_id"]] = queue or (kind, update["update_id"])
        self.update_log[update["update_id"]] = (kind, copy.deepcopy(payload), self.update_queues[update["update_id"]])
        while len(self.update_log) > UPDATE_LOG_SIZE:
            del self.update_log[next(iter(self.update_log))]
        self._changed()
        return update

    def redeliver(self, update_id: int) -> dict:
        """Deliver update ``update_id`` to the bot again, as Telegram does with an update whose
        getUpdates offset was not confirmed (or whose webhook answer never came): the same payload
        (the same message, or the same callback query with its id and data, answered or not) under
        the next update_id, since a bot that keeps polling has moved its offset past the old one."""
        found = self.update_log.get(int(update_id))
        if found is None:
            raise ApiError(404, f"no update {update_id} (never sent, or too old)")
        kind, payload, queue = found
        return self._push(kind, copy.deepcopy(payload), queue)

    def confirm(self, update_id: int) -> None:
        """The bot has this update (a webhook answered 2xx): it leaves the queue."""
        self.updates = [u for u in self.updates if u["update_id"] != update_id]
        self.update_queues.pop(update_id, None)
        self._changed()

    def drop_pending(self) -> None:
        self.updates.clear()
        self.update_queues.clear()
        self._changed()

    def filter_allowed(self) -> None:
        if self.allowed_updates:
            keep = set(self.allowed_updates)
            self.updates = [u for u in self.updates if (set(u) - {"update_id"}) & keep]

    def pending_updates(self, offset: int | None, limit: int, allowed: list[str] | None) -> list[dict]:
        if offset is not None:
            if offset < 0:
                self.updates = self.updates[offset:]
            else:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if allowed is not None:
            self.allowed_updates = allowed or None
        self.filter_allowed()
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
        update = self._push("callback_query", payload, ("callback_query", user.id))
        self.callback_updates[query_id] = update["update_id"]
        return query_id

    def push_inline_query(self, user: User, query: str, chat_type: str | None) -> str:
        query_id = str(next(self._ids)) + secrets.token_hex(4)
        payload: dict[str, Any] = {"id": query_id, "from": user.to_api(), "query": query, "offset": ""}
        if chat_type:
            payload["chat_type"] = chat_type
        self.inline_queries[query_id] = {"user_id": user.id, "query": query, "results": None}
        self._push("inline_query", payload, ("inline_query", user.id))
        return query_id

    def push_chosen(self, user: User, result_id: str, query: str, inline_message_id: str | None) -> None:
        payload: dict[str, Any] = {"result_id": result_id, "from": user.to_api(), "query": query}
        if inline_message_id:
            payload["inline_message_id"] = inline_message_id
        self._push("chosen_inline_result", payload, ("chosen_inline_result", user.id))

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
