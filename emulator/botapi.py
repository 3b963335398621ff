"""The Bot API side: `/bot<token>/<method>` and `/file/bot<token>/<path>`, answering like Telegram."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from urllib.parse import urlsplit
from typing import Any, Awaitable, Callable

from aiohttp import web

from emulator.formatting import ParseError, detect_entities, parse
from emulator.world import ApiError, Chat, Message, World, bad_request

log = logging.getLogger("emulator.botapi")

WORLD = web.AppKey("world", World)
Handler = Callable[[World, "Params"], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = fn
        return fn
    return register


class Params:
    """Request parameters from the query, a form, a multipart body or JSON."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @classmethod
    async def read(cls, request: web.Request) -> "Params":
        values: dict[str, Any] = dict(request.query)
        if request.can_read_body:  # Telegram reads a body whatever the HTTP method (GET included)
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise bad_request("can't parse JSON request body") from None
                if isinstance(body, dict):
                    values.update(body)
            else:
                # aiohttp parses form and multipart bodies only for POST-like methods; Telegram reads
                # them on GET too (pyTelegramBotAPI's async client sends getUpdates so): parse this
                # request's body as if it had come by POST
                form = request if request.method in request.POST_METHODS else request.clone(method="POST")
                values.update(await form.post())
        return cls(values)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key, default)
        return default if value == "" and default is None else value

    def require(self, key: str) -> Any:
        value = self.values.get(key)
        if value is None or value == "":
            raise bad_request(f"{key} is empty" if key in self.values else f"parameter \"{key}\" is required")
        return value

    def int(self, key: str, default: int | None = None) -> int | None:
        value = self.get(key)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {key} specified") from None

    def bool(self, key: str, default: bool = False) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def json(self, key: str, default: Any = None) -> Any:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {key} JSON object") from None
        return value

    def file(self, key: str) -> Any:
        value = self.values.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.values.get(value[len("attach://"):])
        return value


# ---- helpers ---------------------------------------------------------------------------------
def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def answer(result: Any) -> web.Response:
    if isinstance(result, Described):
        return web.json_response({"ok": True, "result": result.result, "description": result.description})
    return ok(result)


def error(err: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
    headers = {}
    if err.parameters:
        body["parameters"] = err.parameters
        if err.code == 429 and "retry_after" in err.parameters:
            headers["Retry-After"] = str(err.parameters["retry_after"])
    return web.json_response(body, status=err.code, headers=headers)


def chat_param(world: World, p: Params) -> Chat:
    value = p.get("chat_id")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise bad_request("chat_id is empty")
    return world.chat(value)


def target_chat(world: World, p: Params) -> Chat:
    """The chat the bot writes into, with Telegram's refusals."""
    chat = chat_param(world, p)
    if chat.type == "private":
        user = world.users[chat.id]
        if user.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not user.started_bot:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    elif chat.migrated_to is not None:
        raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                       {"migrate_to_chat_id": chat.migrated_to})
    elif chat.bot_kicked:
        raise ApiError(403, f"Forbidden: bot was kicked from the {chat.kind_text}")
    elif not chat.bot_member:
        raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind_text}")
    return chat


def formatted(p: Params, text_key: str, entities_key: str, *, required: bool) -> tuple[str | None, list[dict]]:
    text = p.get(text_key)
    if text is None or (isinstance(text, str) and not text.strip()):
        if required:
            raise bad_request("message text is empty")
        return None, []
    text = str(text)
    entities = p.json(entities_key)
    if entities is None:
        mode = p.get("parse_mode")
        if mode and str(mode).lower() not in PARSE_MODES:
            raise bad_request("unsupported parse_mode")
        try:
            text, entities = parse(text, mode)
        except ParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        entities = with_detected(text, entities)
    if not text.strip():
        raise bad_request("message text is empty")
    limit = 4096 if text_key == "text" else 1024
    if len(text) > limit:
        raise bad_request("message is too long" if text_key == "text" else "message caption is too long")
    return text, entities


PARSE_MODES = ("html", "markdown", "markdownv2")


def with_detected(text: str, entities: list[dict]) -> list[dict]:
    """Telegram also marks URLs, @mentions and /commands in the bot's own texts (where no entity
    of the bot's covers them)."""
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities]
    extra = [e for e in detect_entities(text)
             if not any(a < e["offset"] + e["length"] and e["offset"] < b for a, b in taken)]
    if not extra:
        return entities
    return sorted(entities + extra, key=lambda e: (e["offset"], -e["length"]))


_BUTTON_KINDS = ("callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
                 "switch_inline_query_chosen_chat", "login_url", "web_app", "pay", "callback_game", "copy_text")


def markup(p: Params) -> dict | None:
    value = p.json("reply_markup")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        rows = value["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                if not any(k in button for k in _BUTTON_KINDS):
                    raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                        raise bad_request("BUTTON_DATA_INVALID")
    elif "keyboard" in value:
        for row in value["keyboard"]:
            for button in row:
                if isinstance(button, str):
                    continue
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("can't parse keyboard button: text is required")
                request = button.get("request_users")
                if request is not None:
                    if not isinstance(request, dict) or not isinstance(request.get("request_id"), int) \
                            or isinstance(request.get("request_id"), bool):
                        raise bad_request("can't parse keyboard button: Field \"request_id\" must be of type Number")
                    quantity = request.get("max_quantity", 1)
                    if not isinstance(quantity, int) or not 1 <= quantity <= 10:
                        raise bad_request("can't parse keyboard button: max_quantity must be between 1 and 10")
    elif not (value.get("remove_keyboard") or value.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return value


def reply_to(world: World, chat: Chat, p: Params) -> int | None:
    rid = p.int("reply_to_message_id")
    params = p.json("reply_parameters")
    if rid is None and isinstance(params, dict):
        rid = params.get("message_id")
    if rid is None:
        return None
    msg = world.messages.get((chat.id, int(rid)))
    if msg is None or msg.deleted:
        if p.bool("allow_sending_without_reply") or (isinstance(params, dict) and params.get("allow_sending_without_reply")):
            return None
        raise bad_request("message to be replied not found")
    return int(rid)


def sent(world: World, msg: Message) -> dict:
    out = world.message_to_api(msg)
    if msg.reply_markup is not None and "inline_keyboard" not in msg.reply_markup:
        out.pop("reply_markup", None)
    return out


# ---- methods ---------------------------------------------------------------------------------
@method("getMe")
async def get_me(world: World, p: Params) -> Any:
    me = world.bot.to_api()
    me.update(can_join_groups=True, can_read_all_group_messages=not world.privacy_mode, supports_inline_queries=True,
              can_connect_to_business=False, has_main_web_app=False)
    return me


@method("logOut", "close")
async def log_out(world: World, p: Params) -> Any:
    return True


class Described:
    """An ok answer with a `description` (Telegram's "Webhook is already set" and the like)."""

    def __init__(self, result: Any, description: str) -> None:
        self.result, self.description = result, description


_SECRET = re.compile(r"[A-Za-z0-9_-]*")


@method("setWebhook")
async def set_webhook(world: World, p: Params) -> Any:
    """As a local Bot API server (`--local`) does: http or https, any host and port."""
    return _webhook(world, p, str(p.get("url") or "").strip())


@method("deleteWebhook")
async def delete_webhook(world: World, p: Params) -> Any:
    return _webhook(world, p, "")


def _webhook(world: World, p: Params, url: str) -> Any:
    drop = p.bool("drop_pending_updates")
    now = time.monotonic()
    if url:
        if now < world.webhook_next_set:
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        world.webhook_next_set = now + 1
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("invalid webhook URL specified")
        secret = str(p.get("secret_token") or "")
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if not _SECRET.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = max(1, min(100, p.int("max_connections", 40) or 40))
        allowed = p.json("allowed_updates")
        new = {"url": url, "secret_token": secret, "max_connections": max_connections}
        old = world.webhook
        if old is not None and {k: old[k] for k in new} == new and not drop and allowed is None:
            return Described(True, "Webhook is already set")
        if allowed is not None:
            world.allowed_updates = allowed or None
        world.abort_poll("Conflict: terminated by setWebhook request")
        world.webhook = new
        world.webhook_error = None
        if drop:
            world.drop_pending()
        world._changed()
        return Described(True, "Webhook was set")
    if drop:
        world.drop_pending()
    if world.webhook is None:
        return Described(True, "Webhook is already deleted")
    world.webhook = None
    world.webhook_error = None
    world._changed()
    return Described(True, "Webhook was deleted")


@method("getWebhookInfo")
async def get_webhook_info(world: World, p: Params) -> Any:
    hook = world.webhook
    out: dict[str, Any] = {"url": hook["url"] if hook else "", "has_custom_certificate": False,
                           "pending_update_count": len(world.updates)}
    if hook and world.webhook_error:
        out["last_error_date"], out["last_error_message"] = world.webhook_error
    if hook:
        out["max_connections"] = hook["max_connections"]
        out["ip_address"] = "127.0.0.1"
    if world.allowed_updates:
        out["allowed_updates"] = list(world.allowed_updates)
    return out


_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


@method("setMyCommands")
async def set_my_commands(world: World, p: Params) -> Any:
    """Validated before anything changes: a refused list keeps the old one."""
    commands = p.json("commands")
    if not isinstance(commands, list):
        raise bad_request("parameter \"commands\" is required")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for c in commands:
        if not isinstance(c, dict) or not isinstance(c.get("command"), str) \
                or not _COMMAND.fullmatch(c["command"].removeprefix("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not c.get("description") or not str(c["description"]).strip():
            raise bad_request("command description is empty")
        if len(str(c["description"])) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        c["command"] = c["command"].removeprefix("/")
    world.commands[_commands_key(p)] = [{"command": c["command"], "description": c["description"]} for c in commands]
    world._changed()
    return True


@method("deleteMyCommands")
async def delete_my_commands(world: World, p: Params) -> Any:
    world.commands.pop(_commands_key(p), None)
    return True


@method("getMyCommands")
async def get_my_commands(world: World, p: Params) -> Any:
    return world.commands.get(_commands_key(p), [])


def _commands_key(p: Params) -> str:
    scope = p.json("scope") or {"type": "default"}
    return f"{json.dumps(scope, sort_keys=True)}|{p.get('language_code') or ''}"


@method("getUpdates")
async def get_updates(world: World, p: Params) -> Any:
    """As Telegram: a call that finds updates, or a short one (timeout 0), answers at once and leaves
    a running long poll alone; a call that starts a long poll ends the older one with 409 at once."""
    if world.webhook is not None:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    offset = p.int("offset")
    limit = max(1, min(100, p.int("limit", 100) or 100))
    timeout = max(0, min(50, p.int("timeout", 0) or 0))
    allowed = p.json("allowed_updates")
    updates = world.pending_updates(offset, limit, allowed)
    if updates or timeout == 0:
        return updates
    generation = world.abort_poll("Conflict: terminated by other getUpdates request; "
                                  "make sure that only one bot instance is running")
    deadline = time.monotonic() + timeout
    while not updates and not world.closing:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        await world.wait_change(left)
        if world.poll_generation != generation:
            raise ApiError(409, world.poll_abort)
        if world.webhook is not None:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        updates = world.pending_updates(None, limit, None)
    return updates


@method("sendMessage")
async def send_message(world: World, p: Params) -> Any:
    chat = target_chat(world, p)
    text, entities = formatted(p, "text", "entities", required=True)
    kb = markup(p)
    msg = world.bot_sends(chat, text=text, entities=entities, reply_markup=kb,
                          reply_to_message_id=reply_to(world, chat, p))
    return sent(world, msg)


def _file_param(world: World, p: Params, key: str, kind: str) -> str:
    value = p.file(key)
    if value is None or value == "":
        raise bad_request(f"there is no {key} in the request")
    if hasattr(value, "file"):  # an uploaded multipart part
        data = value.file.read()
        if not data:
            raise bad_request("file must be non-empty")
        name = value.filename or (f"{kind}.jpg" if kind == "photo" else "file")
        return world.add_file(data, kind, name, value.content_type).file_id
    if isinstance(value, bytes):
        return world.add_file(value, kind, None, None).file_id
    value = str(value)
    known = world.files.get(value)
    if known is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if known.kind != kind:
        raise bad_request("type of file mismatch")
    return known.photo_of or known.file_id  # any size of a photo sends the whole photo


def _send_file(world: World, p: Params, kind: str) -> Any:
    """sendPhoto / sendDocument: the file (upload or file_id) with an optional caption."""
    chat = target_chat(world, p)
    file_id = _file_param(world, p, kind, kind)
    caption, entities = formatted(p, "caption", "caption_entities", required=False)
    msg = world.bot_sends(chat, **{f"{kind}_file_id": file_id}, caption=caption, caption_entities=entities,
                          reply_markup=markup(p), reply_to_message_id=reply_to(world, chat, p))
    return sent(world, msg)


@method("sendPhoto")
async def send_photo(world: World, p: Params) -> Any:
    return _send_file(world, p, "photo")


@method("sendDocument")
async def send_document(world: World, p: Params) -> Any:
    return _send_file(world, p, "document")


@method("getFile")
async def get_file(world: World, p: Params) -> Any:
    f = world.files.get(str(p.require("file_id")))
    if f is None:
        raise bad_request("invalid file_id")
    return {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.data),
            "file_path": f.file_path}


def _edit_target(world: World, p: Params) -> tuple[Message, bool]:
    inline_id = p.get("inline_message_id")
    if inline_id:
        return world.resolve_inline(str(inline_id)), True
    chat = chat_param(world, p)
    msg = world.get_message(chat.id, p.require("message_id"))
    if msg.from_id != world.bot.id:
        raise bad_request("message can't be edited")
    return msg, False


def _edit_result(world: World, msg: Message, inline: bool) -> Any:
    return True if inline else sent(world, msg)


_NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly "
                 "the same as a current content and reply markup of the message")


@method("editMessageText")
async def edit_message_text(world: World, p: Params) -> Any:
    msg, inline = _edit_target(world, p)
    text, entities = formatted(p, "text", "entities", required=True)
    kb = markup(p)
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    if text == msg.text and entities == msg.entities and kb == msg.reply_markup:
        raise bad_request(_NOT_MODIFIED)
    world.edit(msg, text=text, entities=entities, reply_markup=kb)
    return _edit_result(world, msg, inline)


@method("editMessageCaption")
async def edit_message_caption(world: World, p: Params) -> Any:
    msg, inline = _edit_target(world, p)
    caption, entities = formatted(p, "caption", "caption_entities", required=False)
    kb = markup(p)
    if caption == msg.caption and entities == msg.caption_entities and kb == msg.reply_markup:
        raise bad_request(_NOT_MODIFIED)
    world.edit(msg, caption=caption, caption_entities=entities, reply_markup=kb)
    return _edit_result(world, msg, inline)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, p: Params) -> Any:
    msg, inline = _edit_target(world, p)
    kb = markup(p)
    if kb == msg.reply_markup or (not kb and not msg.reply_markup):
        raise bad_request(_NOT_MODIFIED)
    world.edit(msg, reply_markup=kb)
    return _edit_result(world, msg, inline)


@method("deleteMessage")
async def delete_message(world: World, p: Params) -> Any:
    chat = chat_param(world, p)
    msg = world.get_message(chat.id, p.require("message_id"), for_delete=True)
    if chat.type != "private" and msg.from_id != world.bot.id:
        raise bad_request("message can't be deleted")
    world.delete(msg)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(world: World, p: Params) -> Any:
    query_id = str(p.require("callback_query_id"))
    if query_id not in world.callback_answers:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if world.callback_answers[query_id] is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    world.callback_answers[query_id] = {"text": text, "show_alert": p.bool("show_alert"), "url": p.get("url")}
    world._changed()
    return True


@method("answerInlineQuery")
async def answer_inline_query(world: World, p: Params) -> Any:
    query_id = str(p.require("inline_query_id"))
    pending = world.inline_queries.get(query_id)
    if pending is None or pending["results"] is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    results = p.json("results")
    if not isinstance(results, list):
        raise bad_request("parameter \"results\" is required")
    seen = set()
    for r in results:
        if not isinstance(r, dict) or not r.get("id") or not r.get("type"):
            raise bad_request("RESULT_ID_INVALID")
        if r["id"] in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(r["id"])
        if r["type"] == "article" and not (r.get("title") and isinstance(r.get("input_message_content"), dict)):
            raise bad_request("RESULT_TYPE_INVALID")
        if r.get("reply_markup") is not None:
            markup(Params({"reply_markup": r["reply_markup"]}))
    pending["results"] = results
    world._changed()
    return True


@method("getChat")
async def get_chat(world: World, p: Params) -> Any:
    chat = chat_param(world, p)
    out = chat.to_api(world)
    out.update(accent_color_id=chat.id % 7 if chat.type == "private" else 0, max_reaction_count=11,
               accepted_gift_types={"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                    "premium_subscription": False, "gifts_from_channels": False})
    return out


@method("getChatMember")
async def get_chat_member(world: World, p: Params) -> Any:
    chat = chat_param(world, p)
    user_id = p.int("user_id")
    if user_id == world.bot.id:
        if chat.bot_kicked:
            return {"user": world.bot.to_api(), "status": "kicked", "until_date": 0}
        return {"user": world.bot.to_api(), "status": "member" if chat.bot_member else "left"}
    user = world.users.get(user_id or 0)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    if user.id not in chat.member_ids:
        return {"user": user.to_api(), "status": "left"}
    if chat.type != "private" and chat.member_ids and chat.member_ids[0] == user.id:
        return {"user": user.to_api(), "status": "creator", "is_anonymous": False}
    return {"user": user.to_api(), "status": "member"}


@method("getChatMemberCount")
async def get_chat_member_count(world: World, p: Params) -> Any:
    chat = chat_param(world, p)
    return len(chat.member_ids) + (1 if chat.bot_member else 0)


@method("sendChatAction")
async def send_chat_action(world: World, p: Params) -> Any:
    chat = target_chat(world, p)
    action = str(p.require("action"))
    world.chat_actions[chat.id] = (action, time.time() + 5)
    world._changed()
    return True


@method("leaveChat")
async def leave_chat(world: World, p: Params) -> Any:
    chat = chat_param(world, p)
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if chat.migrated_to is not None:
        raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                       {"migrate_to_chat_id": chat.migrated_to})
    if not chat.bot_member:
        raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind_text}")
    chat.bot_member = False
    world._bot_membership(chat, None, "member", "left")
    return True


# ---- routes ----------------------------------------------------------------------------------
async def handle_method(request: web.Request) -> web.StreamResponse:
    world = request.app[WORLD]
    if request.match_info["token"] != world.token:
        return error(ApiError(401, "Unauthorized"))
    name = request.match_info["method"]
    fn = METHODS.get(name.lower())
    if fn is None:
        return error(ApiError(404, "Not Found"))
    try:
        if name.lower() == "getupdates" and world.faults.get("drop_polls", 0) > 0:
            world.faults["drop_polls"] -= 1
            await asyncio.sleep(0.05)
            if request.transport is not None:
                request.transport.abort()  # the client sees its connection dropped, as on a flaky network
            raise asyncio.CancelledError
        _rate_limit(world, name)
        _server_error(world, name)
        params = await Params.read(request)
        return answer(await fn(world, params))
    except ApiError as err:
        if err.code >= 500:
            log.warning("bot api %s failed: %s", name, err.description)
        return error(err)


def _rate_limit(world: World, name: str) -> None:
    fault = world.faults.get("rate_limit")
    if not fault or fault.get("count", 0) <= 0:
        return
    methods = fault.get("methods")
    if methods:
        if name.lower() not in {m.lower() for m in methods}:
            return
    elif name.lower() in ("getupdates", "getme", "deletewebhook"):
        return
    fault["count"] -= 1
    retry = int(fault.get("retry_after", 1))
    raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})


def _server_error(world: World, name: str) -> None:
    """The ``server_error`` fault: the next ``count`` calls (of ``methods``) answer a 5xx."""
    fault = world.faults.get("server_error")
    if not fault or fault.get("count", 0) <= 0:
        return
    methods = fault.get("methods")
    if methods and name.lower() not in {m.lower() for m in methods}:
        return
    if not methods and name.lower() in ("getupdates", "getme", "deletewebhook"):
        return
    fault["count"] -= 1
    raise ApiError(int(fault.get("status", 502)), "Bad Gateway")


async def handle_file(request: web.Request) -> web.StreamResponse:
    world = request.app[WORLD]
    if request.match_info["token"] != world.token:
        return error(ApiError(401, "Unauthorized"))
    f = world.file_by_path(request.match_info["path"])
    if f is None:
        return error(ApiError(404, "Not Found"))
    return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", r"/bot{token}/{method}", handle_method)
    app.router.add_get(r"/file/bot{token}/{path:.+}", handle_file)
