"""The control API under /control/ (JSON): act as people, read chats, the SMS inbox, faults.

Contract: DESIGN.md §6; every call is documented with curl in emulator/README.md.
Errors answer `{"ok": false, "error": "..."}` with a 4xx status.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

from aiohttp import web

from emulator.botapi import WORLD, markup as check_markup, Params
from emulator.formatting import ParseError, parse
from emulator.world import ApiError, Message, World, normalize_phone

routes = web.RouteTableDef()
DEFAULT_ANSWER_TIMEOUT = 10.0


def fail(status: int, text: str) -> web.Response:
    return web.json_response({"ok": False, "error": text}, status=status)


async def body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "body is not JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "body must be a JSON object")
        return data
    return dict(await request.post())


def need(data: dict, key: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise ApiError(400, f"{key} is required")
    return value


def as_int(value: Any, key: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"{key} must be an integer") from None


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        status = err.code if 400 <= err.code < 500 else 400
        return fail(status, err.description.removeprefix("Bad Request: "))


def world_of(request: web.Request) -> World:
    return request.app[WORLD]


# ---- views -----------------------------------------------------------------------------------
def file_url(file_id: str) -> str:
    return f"/control/files/{file_id}"


def message_view(world: World, msg: Message) -> dict:
    """A message as a person sees it (the Bot API shape plus URLs for files and every keyboard kind)."""
    out = world.message_to_api(msg)
    out["version"] = msg.version
    if msg.edits:
        out["edits"] = list(msg.edits)
    if msg.reply_markup is not None:
        out["reply_markup"] = msg.reply_markup
    if msg.inline_message_id:
        out["inline_message_id"] = msg.inline_message_id
    if msg.photo_file_id:
        f = world.files[msg.photo_file_id]
        out["photo"] = {**world.photo_size(f), "url": file_url(f.file_id),
                        "sizes": [{**size, "url": file_url(size["file_id"])} for size in world.photo_sizes(f)]}
    if msg.document_file_id:
        f = world.files[msg.document_file_id]
        out["document"] = {**world.document(f), "url": file_url(f.file_id)}
    if msg.reply_to_message_id and "reply_to_message" in out:
        out["reply_to_message"] = {k: out["reply_to_message"].get(k) for k in ("message_id", "from", "text", "caption")}
    return out


def chat_view(world: World, chat_id: int, user_id: int | None = None) -> dict:
    chat = world.chats[chat_id]
    out = chat.to_api(world)
    if chat.type == "private":
        out["title"] = world.bot.first_name
        out["bot"] = world.bot.to_api()
    out["member_ids"] = list(chat.member_ids)
    out["bot_member"] = chat.bot_member
    visible = [m for (cid, _), m in world.messages.items() if cid == chat.id and not m.deleted]
    last = max(visible, key=lambda m: m.message_id, default=None)
    out["last_message"] = message_view(world, last) if last else None
    action = world.chat_actions.get(chat.id)
    out["bot_action"] = action[0] if action and action[1] > time.time() else None
    return out


# ---- people and chats ------------------------------------------------------------------------
@routes.post("/control/users")
async def create_user(request: web.Request) -> web.Response:
    data = await body(request)
    user = world_of(request).add_user(
        need(data, "first_name"), username=data.get("username"), language_code=data.get("language_code"),
        last_name=data.get("last_name"), phone_number=data.get("phone_number"))
    return web.json_response(user.to_control())


@routes.get("/control/users")
async def list_users(request: web.Request) -> web.Response:
    return web.json_response([u.to_control() for u in world_of(request).users.values()])


@routes.get("/control/users/{user_id}")
async def get_user(request: web.Request) -> web.Response:
    return web.json_response(world_of(request).user(request.match_info["user_id"]).to_control())


@routes.get("/control/users/{user_id}/chats")
async def user_chats(request: web.Request) -> web.Response:
    world = world_of(request)
    user = world.user(request.match_info["user_id"])
    chats = [chat_view(world, c.id, user.id) for c in world.chats_of(user.id)]
    chats.sort(key=lambda c: (c["type"] != "private", -((c["last_message"] or {}).get("date") or 0)))
    return web.json_response(chats)


@routes.post("/control/block")
async def block(request: web.Request) -> web.Response:
    data = await body(request)
    user = world_of(request).set_blocked(as_int(need(data, "user_id"), "user_id"), bool(data.get("blocked", True)))
    return web.json_response(user.to_control())


@routes.post("/control/chats")
async def create_chat(request: web.Request) -> web.Response:
    data = await body(request)
    kind = data.get("type", "group")
    if kind not in ("group", "supergroup"):
        raise ApiError(400, "type must be \"group\" or \"supergroup\"")
    ids = data.get("member_ids") or []
    if not isinstance(ids, list):
        raise ApiError(400, "member_ids must be a list")
    world = world_of(request)
    chat = world.add_group(str(need(data, "title")), [as_int(i, "member_ids") for i in ids], kind)
    return web.json_response(chat_view(world, chat.id))


@routes.get("/control/chats/{chat_id}")
async def get_chat(request: web.Request) -> web.Response:
    world = world_of(request)
    chat = world.chat(request.match_info["chat_id"])
    return web.json_response(chat_view(world, chat.id))


@routes.post("/control/chats/{chat_id}/members")
async def add_member(request: web.Request) -> web.Response:
    data = await body(request)
    world = world_of(request)
    by = data.get("by")
    chat = world.add_member(as_int(request.match_info["chat_id"], "chat_id"), as_int(need(data, "user_id"), "user_id"),
                            by=as_int(by, "by") if by is not None else None)
    return web.json_response(chat_view(world, chat.id))


@routes.post("/control/chats/{chat_id}/remove")
async def remove_member(request: web.Request) -> web.Response:
    """`user_id` removes `member_id` (a person, or the bot's id) from the group; the same id: leaves."""
    data = await body(request)
    world = world_of(request)
    chat = world.remove_member(as_int(request.match_info["chat_id"], "chat_id"), as_int(need(data, "user_id"), "user_id"),
                               as_int(need(data, "member_id"), "member_id"))
    return web.json_response(chat_view(world, chat.id))


@routes.post("/control/chats/{chat_id}/migrate")
async def migrate(request: web.Request) -> web.Response:
    """`user_id` upgrades the basic group to a supergroup; answers the new supergroup."""
    data = await body(request)
    world = world_of(request)
    chat = world.migrate(as_int(request.match_info["chat_id"], "chat_id"), as_int(need(data, "user_id"), "user_id"))
    return web.json_response(chat_view(world, chat.id))


# ---- acting as people ------------------------------------------------------------------------
@routes.post("/control/send")
async def send(request: web.Request) -> web.Response:
    data = await body(request)
    world = world_of(request)
    reply = data.get("reply_to_message_id")
    msg = world.user_sends(as_int(need(data, "user_id"), "user_id"), as_int(need(data, "chat_id"), "chat_id"),
                           str(data.get("text") or ""),
                           reply_to_message_id=as_int(reply, "reply_to_message_id") if reply else None)
    return web.json_response(message_view(world, msg))


@routes.post("/control/users_shared")
async def users_shared(request: web.Request) -> web.Response:
    """What pressing a `request_users` reply-keyboard button and picking people sends."""
    data = await body(request)
    world = world_of(request)
    user = world.user(need(data, "user_id"))
    ids = data.get("user_ids")
    if not isinstance(ids, list):
        raise ApiError(400, "user_ids must be a list of user ids")
    request_id = data.get("request_id")
    msg = world.share_users(user.id, as_int(data.get("chat_id", user.id), "chat_id"), [as_int(i, "user_ids") for i in ids],
                            request_id=as_int(request_id, "request_id") if request_id is not None else None,
                            button=data.get("button"))
    return web.json_response(message_view(world, msg))


@routes.post("/control/open_link")
async def open_link(request: web.Request) -> web.Response:
    """A person opens a t.me link of the bot (`?start=<payload>` sends `/start <payload>`)."""
    data = await body(request)
    world = world_of(request)
    chat, msg = world.open_link(as_int(need(data, "user_id"), "user_id"), str(need(data, "url")))
    return web.json_response({"chat_id": chat.id, "message": message_view(world, msg) if msg else None})


@routes.post("/control/contact")
async def contact(request: web.Request) -> web.Response:
    data = await body(request)
    world = world_of(request)
    user = world.user(need(data, "user_id"))
    phone = str(data.get("phone_number") or user.phone_number or "")
    if not phone:
        raise ApiError(400, "phone_number is required")
    card = {"phone_number": phone, "first_name": user.first_name, "user_id": user.id}
    if user.last_name:
        card["last_name"] = user.last_name
    user.phone_number = user.phone_number or phone
    msg = world.user_sends(user.id, as_int(data.get("chat_id", user.id), "chat_id"), None, contact=card)
    return web.json_response(message_view(world, msg))


def find_button(msg: Message, text: str | None, data: str | None) -> dict:
    rows = (msg.reply_markup or {}).get("inline_keyboard") or []
    for row in rows:
        for button in row:
            if (text is not None and button.get("text") == text) or (data is not None and button.get("callback_data") == data):
                return button
    if text is not None:  # a looser match: the button's text contains the given text
        for row in rows:
            for button in row:
                if text.strip() and text.strip() in button.get("text", ""):
                    return button
    raise ApiError(404, f"no such button on message {msg.message_id}: {text or data!r}")


async def _wait_until(world: World, done, deadline: float) -> None:
    """Wait for the bot's answer (``done()``) until ``deadline`` (monotonic) or shutdown."""
    while not done() and time.monotonic() < deadline and not world.closing:
        await world.wait_change(deadline - time.monotonic())


@routes.post("/control/press")
async def press(request: web.Request) -> web.Response:
    data = await body(request)
    world = world_of(request)
    user = world.user(need(data, "user_id"))
    inline_id = data.get("inline_message_id")
    if inline_id:
        where = world.inline_messages.get(str(inline_id))
        if where is None:
            raise ApiError(404, "inline message not found")
        msg = world.get_message(*where)
    else:
        chat = world.chat(need(data, "chat_id"))
        world.member_check(chat, user)
        msg = world.get_message(chat.id, need(data, "message_id"))
    if data.get("forge"):  # a modified client may send any callback_data on any message it sees
        forged = str(need(data, "callback_data"))
        if not 1 <= len(forged.encode()) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        button = {"text": "", "callback_data": forged}
    else:
        button = find_button(msg, data.get("button"), data.get("callback_data"))
    if "callback_data" not in button:
        return web.json_response({"answer": None, "button": button, "url": button.get("url"),
                                  "switch_inline_query": button.get("switch_inline_query",
                                                                    button.get("switch_inline_query_current_chat"))})
    query_id = world.push_callback(user, msg, button["callback_data"], via_inline=bool(msg.inline_message_id))
    timeout = float(data.get("timeout") or DEFAULT_ANSWER_TIMEOUT)
    deadline = time.monotonic() + timeout
    await _wait_until(world, lambda: world.callback_answers.get(query_id) is not None, deadline)
    answer = world.callback_answers.get(query_id)
    update_id = world.callback_updates.get(query_id)
    if answer is None:
        return web.json_response({"answer": None, "callback_query_id": query_id, "update_id": update_id,
                                  "timed_out": True, "error": "the bot did not answer the callback query in time"},
                                 status=504)
    return web.json_response({"answer": answer, "callback_query_id": query_id, "update_id": update_id})


@routes.post("/control/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    """Telegram delivers an update again (its offset was not confirmed): the same payload under a new update_id."""
    data = await body(request)
    update = world_of(request).redeliver(as_int(need(data, "update_id"), "update_id"))
    return web.json_response({"update_id": update["update_id"], "redelivered": as_int(data["update_id"], "update_id")})


@routes.post("/control/inline")
async def inline(request: web.Request) -> web.Response:
    data = await body(request)
    world = world_of(request)
    user = world.user(need(data, "user_id"))
    query_id = world.push_inline_query(user, str(data.get("query") or ""), data.get("chat_type"))
    timeout = float(data.get("timeout") or DEFAULT_ANSWER_TIMEOUT)
    deadline = time.monotonic() + timeout
    await _wait_until(world, lambda: world.inline_queries[query_id]["results"] is not None, deadline)
    results = world.inline_queries[query_id]["results"]
    if results is None:
        return web.json_response({"inline_query_id": query_id, "results": [], "timed_out": True,
                                  "error": "the bot did not answer the inline query in time"}, status=504)
    return web.json_response({"inline_query_id": query_id, "results": results})


@routes.post("/control/choose")
async def choose(request: web.Request) -> web.Response:
    data = await body(request)
    world = world_of(request)
    user = world.user(need(data, "user_id"))
    query = world.inline_queries.get(str(need(data, "inline_query_id")))
    if query is None or query["user_id"] != user.id or query["results"] is None:
        raise ApiError(404, "inline query not found or not answered")
    result = next((r for r in query["results"] if str(r.get("id")) == str(need(data, "result_id"))), None)
    if result is None:
        raise ApiError(404, "no such result")
    content = result.get("input_message_content") or {}
    text = content.get("message_text")
    if not text:
        raise ApiError(400, "only results with a text input_message_content can be chosen here")
    entities = content.get("entities")
    if entities is None:
        try:
            text, entities = parse(text, content.get("parse_mode"))
        except ParseError as exc:
            raise ApiError(400, f"can't parse entities: {exc}") from None
    kb = result.get("reply_markup")
    if kb is not None:
        check_markup(Params({"reply_markup": kb}))
    inline_id = ("BAAAA" + secrets.token_urlsafe(18)) if kb else None
    msg = world.user_sends(user.id, as_int(need(data, "chat_id"), "chat_id"), text, via_bot=True,
                           entities=entities, reply_markup=kb, inline_message_id=inline_id)
    world.push_chosen(user, str(result["id"]), query["query"], inline_id)
    return web.json_response(message_view(world, msg))


# ---- reading ---------------------------------------------------------------------------------
@routes.get("/control/chats/{chat_id}/messages")
async def messages(request: web.Request) -> web.Response:
    world = world_of(request)
    chat = world.chat(request.match_info["chat_id"])
    q = request.query
    user = world.user(need(dict(q), "user_id"))
    world.member_check(chat, user)
    after = as_int(q.get("after", 0), "after")
    wait = min(60.0, max(0.0, float(q.get("wait", 0) or 0)))
    deadline = time.monotonic() + wait

    def newer() -> list[Message]:
        return sorted((m for (cid, mid), m in world.messages.items() if cid == chat.id and mid > after and not m.deleted),
                      key=lambda m: m.message_id)

    found = newer()
    while not found and time.monotonic() < deadline and not world.closing:
        await world.wait_change(deadline - time.monotonic())
        found = newer()
    return web.json_response([message_view(world, m) for m in found])


@routes.get("/control/version")
async def version(request: web.Request) -> web.Response:
    """Long-poll for any change: answers once `version` is above `after` (or after `wait` seconds)."""
    world = world_of(request)
    after = as_int(request.query.get("after", 0), "after")
    wait = min(60.0, max(0.0, float(request.query.get("wait", 0) or 0)))
    deadline = time.monotonic() + wait
    while world.version <= after and time.monotonic() < deadline and not world.closing:
        await world.wait_change(deadline - time.monotonic())
    return web.json_response({"version": world.version})


@routes.get("/control/bot")
async def bot_info(request: web.Request) -> web.Response:
    world = world_of(request)
    lang = request.query.get("language_code", "")
    default = json.dumps({"type": "default"}, sort_keys=True)
    commands = world.commands.get(f"{default}|{lang}") or world.commands.get(f"{default}|") or []
    return web.json_response({**world.bot.to_api(), "commands": commands, "privacy_mode": world.privacy_mode})


@routes.post("/control/bot")
async def bot_settings(request: web.Request) -> web.Response:
    """The bot's settings (BotFather's): `privacy_mode` (default true)."""
    data = await body(request)
    world = world_of(request)
    if "privacy_mode" in data:
        if not isinstance(data["privacy_mode"], bool):
            raise ApiError(400, "privacy_mode must be true or false")
        world.privacy_mode = data["privacy_mode"]
        world._changed()
    return web.json_response({**world.bot.to_api(), "privacy_mode": world.privacy_mode})


@routes.get("/control/webhook")
async def webhook_state(request: web.Request) -> web.Response:
    world = world_of(request)
    return web.json_response(webhook_view(world))


@routes.post("/control/webhook")
async def webhook_settings(request: web.Request) -> web.Response:
    """How the emulator retries failed webhook deliveries: `max_retry_delay` (seconds, default 60)."""
    data = await body(request)
    world = world_of(request)
    if "max_retry_delay" in data:
        try:
            delay = float(data["max_retry_delay"])
        except (TypeError, ValueError):
            raise ApiError(400, "max_retry_delay must be a number of seconds") from None
        if not 0 <= delay <= 3600:
            raise ApiError(400, "max_retry_delay must be between 0 and 3600 seconds")
        world.webhook_max_retry_delay = delay
    return web.json_response(webhook_view(world))


def webhook_view(world: World) -> dict:
    hook = world.webhook
    return {"url": hook["url"] if hook else None, "max_connections": hook["max_connections"] if hook else None,
            "secret_token_set": bool(hook and hook["secret_token"]), "pending_update_count": len(world.updates),
            "in_flight": sorted(world.webhook_in_flight), "max_retry_delay": world.webhook_max_retry_delay,
            "last_error": list(world.webhook_error) if world.webhook_error else None,
            "delivered": world.webhook_delivered}


@routes.get("/control/files/{file_id}")
async def file_download(request: web.Request) -> web.StreamResponse:
    f = world_of(request).files.get(request.match_info["file_id"])
    if f is None:
        return fail(404, "file not found")
    headers = {}
    if f.kind == "document":
        name = f.file_name or "file"
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream", headers=headers)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


# ---- SMS, faults, reset ----------------------------------------------------------------------
@routes.post("/control/sms")
async def sms_send(request: web.Request) -> web.Response:
    data = await body(request)
    world = world_of(request)
    phone = str(need(data, "phone_number"))
    if not normalize_phone(phone):
        raise ApiError(400, "phone_number has no digits")
    sms = world.add_sms(phone, str(need(data, "text")))
    return web.json_response({**sms, "inbox": world.inbox(phone)})


@routes.get("/control/sms")
async def sms_inbox(request: web.Request) -> web.Response:
    phone = str(need(dict(request.query), "phone_number"))
    return web.json_response(world_of(request).inbox(phone))


@routes.get("/control/faults")
async def faults_get(request: web.Request) -> web.Response:
    return web.json_response(world_of(request).faults)


@routes.post("/control/faults")
async def faults_set(request: web.Request) -> web.Response:
    data = await body(request)
    world = world_of(request)
    if "rate_limit" in data:
        rl = data["rate_limit"]
        if rl:
            world.faults["rate_limit"] = {"count": as_int(rl.get("count", 1), "count"),
                                          "retry_after": as_int(rl.get("retry_after", 1), "retry_after"),
                                          "methods": rl.get("methods") or None}
        else:
            world.faults["rate_limit"] = None
    if "server_error" in data:
        se = data["server_error"]
        world.faults["server_error"] = ({"count": as_int(se.get("count", 1), "count"),
                                         "status": as_int(se.get("status", 502), "status"),
                                         "methods": se.get("methods") or None} if se else None)
    if "drop_polls" in data:
        world.faults["drop_polls"] = as_int(data["drop_polls"] or 0, "drop_polls")
    return web.json_response(world.faults)


@routes.post("/control/reset")
async def reset(request: web.Request) -> web.Response:
    world = world_of(request)
    world.reset()
    await asyncio.sleep(0)
    return web.json_response({"ok": True, "version": world.version})


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
