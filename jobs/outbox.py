"""Sending the outbox (``wallet.outbox``): notices written with their money event, delivered in
the reader's language at Telegram's limits.

The bot's requests go through python-telegram-bot's ``AIORateLimiter`` (bot/app.py: 30 messages
a second overall, 20 a minute per group). Here each claimed notice ends one of three ways:
- sent;
- retried later: 429 after its ``retry_after``, 5xx and network errors after a back-off that
  doubles with each attempt (at most ``MAX_BACKOFF`` seconds);
- dropped: the person blocked the bot (403: they are marked and skipped from then on), or
  Telegram refused the message itself (400), which no retry would change.
Two bot processes may drain at once: ``outbox.claim`` never gives both the same notice.

A notice's parameters: ``amount`` and ``*_amount`` (fen) as ¥, ``*_msgid`` as that catalog text
(under the name without ``_msgid``), ``counterparty_id`` as that person's first name,
other strings HTML-escaped; a typed value (a dict) is rendered for the reader: ``{"msgid": …,
…params}`` a catalog text, ``{"fen": n, "signed": true}`` money (``+`` on income),
``{"time": iso}`` a local time in the reader's zone, ``{"langs": {"en": …, "zh_CN": …}}`` the
reader's language's text. ``note`` (optional) is a free text shown under the notice, and
``buttons`` (optional) rows of ``[msgid, action]``: an inline keyboard, its labels in the
reader's language, each action (``wallet.outbox.action``: ``{"act": name, **fields}``) made a button
by the feature that offered it (``actions()``, registered by bot/app.py from each feature's
``callbacks.OUTBOX_ACTIONS``; a plain string is callback_data, as notices written before actions
were), and ``button`` one such button; ``chart_month`` sends the month's bill chart as a
photo with the text as its caption (the weekly summary; a chart that cannot be drawn leaves the
text alone with a line saying why). People without a wallet read in the language they last chose in the chat.
"""
from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from chat.i18n import normalize, t
from wallet import outbox
from wallet.money import format_amount
from wallet.services import people

log = logging.getLogger("jobs.outbox")
MAX_BACKOFF = 300


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _typed(lang: str | None, tz: str | None, value):
    """A parameter for this reader: a typed dict rendered (see the module's doc), strings escaped."""
    if isinstance(value, str):
        return html.escape(value)
    if not isinstance(value, dict):
        return value
    if "msgid" in value:
        return t(lang, value["msgid"], **{k: _typed(lang, tz, v) for k, v in value.items() if k != "msgid"})
    if "fen" in value:
        return ("+" if value.get("signed") and value["fen"] > 0 else "") + format_amount(value["fen"])
    if "time" in value:
        return datetime.fromisoformat(value["time"]).astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M")
    if "langs" in value:
        texts = value["langs"]
        return html.escape(str(texts.get(normalize(lang)) or next(iter(texts.values()), "")))
    raise ValueError(f"unknown parameter {sorted(value)}")


# what each notice action's button is (its callback_data from the action's fields), registered by
# bot/app.py from the features' callbacks.OUTBOX_ACTIONS: jobs never import the flows
ACTIONS: dict[str, Callable[..., object]] = {}


def actions(offered: dict[str, Callable[..., object]]) -> None:
    """Make these actions' buttons: ``{"ticket.show": Show}``, each a typed button class (or any
    callable) taking the action's fields and giving an object with ``.data()``."""
    ACTIONS.update(offered)


def _data(action) -> str | None:
    """The callback_data of one notice button's action; None (the button is left out, logged) for
    an action no feature offers or whose fields do not build its button."""
    if isinstance(action, str):
        return action
    fields = {k: v for k, v in action.items() if k != "act"}
    try:
        return ACTIONS[action["act"]](**fields).data()
    except (KeyError, TypeError, ValueError):
        log.error("notice button %r: no such action or wrong fields; left out", action.get("act"))
        return None


def keyboard(lang: str | None, notice: dict) -> InlineKeyboardMarkup | None:
    """The notice's buttons with labels in the reader's language: ``buttons`` (rows of
    [msgid, action]) and ``button`` (one [msgid, action], on a row of its own)."""
    params = notice["params"]
    rows = [[(msgid, _data(action)) for msgid, action in row] for row in params.get("buttons") or ()]
    if params.get("button"):
        msgid, action = params["button"]
        rows.append([(msgid, _data(action))])
    rows = [[InlineKeyboardButton(t(lang, msgid), callback_data=data) for msgid, data in row if data is not None]
            for row in rows]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def render(lang: str | None, notice: dict, names: dict, tz: str | None = None) -> str:
    """The notice's text: fen as ¥, people by their first name; names and other texts escaped
    (notices are HTML, and a first name or a shop name may hold ``<``)."""
    params, note = {}, None
    for name, value in notice["params"].items():
        if name in ("button", "buttons", "chart_month"):  # buttons under the text (keyboard()), a chart (_chart())
            continue
        if name == "note":
            note = html.escape(value) if value else None
        elif isinstance(value, dict):
            params[name] = _typed(lang, tz, value)
        elif name == "amount" or name.endswith("_amount"):
            params[name] = format_amount(value)
        elif name.endswith("_msgid"):  # another catalog text (a tip, a bill group), trusted HTML
            params[name[:-len("_msgid")]] = t(lang, value)
        elif name == "counterparty_id":
            params["name"] = html.escape((names.get(value) or (None, None, None))[2] or t(lang, "notice.someone"))
        else:
            params[name] = html.escape(value) if isinstance(value, str) else value
    text = t(lang, notice["msgid"], **params)
    return f"{text}\n{note}" if note else text


async def _chart(wallet, notice: dict, lang: str | None) -> tuple[bytes | None, str | None]:
    """The monthly bill chart (PNG) a notice asks for (``params["chart_month"]``: the weekly
    summary), drawn off the event loop: (png, None); (None, None) when none is asked; (None, a
    line saying why) when it could not be drawn (no CJK font, any error): the text goes alone
    with that line under it."""
    month = notice["params"].get("chart_month")
    if not month:
        return None, None
    from chat.render import chart, safe
    from wallet.services import statements

    try:
        data = await statements.chart_data(wallet, notice["user_id"], month=month)
    except Exception:
        log.exception("notice=%s: the figures of the chart of %s could not be read", notice["key"], month)
        return None, safe.missing(lang, "render.missing.chart_short", safe.WHY_ERROR)
    png, why = await safe.draw(f"notice={notice['key']} chart of {month}", chart.monthly_chart, data, lang)
    return png, (None if png is not None else safe.missing(lang, "render.missing.chart_short", why))


async def drain_once(app: Application, *, limit: int = 50) -> dict[str, int]:
    """Claim due notices and deliver each once; returns how many were sent, retried, dropped."""
    wallet = app.bot_data["wallet"]
    counts = {"sent": 0, "retried": 0, "dropped": 0}
    notices = await outbox.claim(wallet, limit=limit)
    if not notices:
        return counts
    wanted = {n["user_id"] for n in notices} | {n["params"].get("counterparty_id") for n in notices} - {None}
    readers = await people.readers(wallet, wanted)
    for n in notices:
        counts[await _deliver(app, wallet, n, readers)] += 1
    return counts


async def _deliver(app: Application, wallet, n: dict, readers: dict) -> str:
    lang, blocked, _, tz = readers.get(n["user_id"], (None, False, None, None))
    if n["user_id"] not in readers:  # no wallet: the language chosen in the chat, if any
        lang = (app.user_data.get(n["user_id"]) or {}).get("lang")
    tz = tz or wallet.rules.timezone
    if blocked:
        await outbox.drop(wallet, n["id"], error="blocked the bot")
        return "dropped"
    try:
        text = render(lang, n, readers, tz)
        photo, why = await _chart(wallet, n, lang)
        if photo is not None:  # the text is the photo's caption
            await app.bot.send_photo(chat_id=n["user_id"], photo=photo, caption=text, parse_mode="HTML",
                                     reply_markup=keyboard(lang, n))
        else:  # no chart asked, or the text alone with why its chart is missing
            await app.bot.send_message(chat_id=n["user_id"], text=f"{text}\n\n{html.escape(why)}" if why else text,
                                       parse_mode="HTML", reply_markup=keyboard(lang, n))
    except Forbidden as exc:
        log.info("notice=%s user=%s: 403 (%s), marked as blocked", n["key"], n["user_id"], exc.message)
        if n["user_id"] in readers:
            await people.mark_blocked(wallet, n["user_id"])
        await outbox.drop(wallet, n["id"], error=f"403 {exc.message}")
        return "dropped"
    except RetryAfter as exc:
        value = exc.retry_after  # int seconds, or a timedelta with PTB_TIMEDELTA set
        after = value.total_seconds() if hasattr(value, "total_seconds") else float(value)
        log.info("notice=%s user=%s: 429, again in %s s", n["key"], n["user_id"], after)
        await outbox.retry(wallet, n["id"], after_seconds=after, error="429")
        return "retried"
    except BadRequest as exc:
        log.warning("notice=%s user=%s refused by Telegram: %s", n["key"], n["user_id"], exc.message)
        await outbox.drop(wallet, n["id"], error=f"400 {exc.message}")
        return "dropped"
    except TelegramError as exc:  # 5xx, time-outs, the network: back off and try again
        after = min(MAX_BACKOFF, 2 ** n["attempts"])
        log.warning("notice=%s user=%s failed (%s), again in %s s", n["key"], n["user_id"], exc, after)
        await outbox.retry(wallet, n["id"], after_seconds=after, error=str(exc))
        return "retried"
    except (KeyError, IndexError, ValueError, TypeError) as exc:  # a text that cannot be rendered: never retried
        log.error("notice=%s cannot be rendered: %r", n["key"], exc)
        await outbox.drop(wallet, n["id"], error=f"render {exc!r}")
        return "dropped"
    await outbox.mark_sent(wallet, n["id"])
    return "sent"


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        while (await drain_once(context.application))["sent"]:
            pass  # a full batch: there may be more waiting
    except Exception:  # the next round tries again; a claimed notice's lease runs out
        log.exception("outbox drain failed")


def register(app: Application, interval_seconds: float) -> None:
    app.job_queue.run_repeating(_job, interval=interval_seconds, first=interval_seconds, name="outbox")
