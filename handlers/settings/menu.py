"""Settings (``/settings`` or the home button): language, time zone (default Asia/Shanghai; a
common one by button or any IANA name typed), default card. One message, edited in place.

callback_data (handlers/settings/callbacks.py): ``set:lang:<zh|en>``, ``set:tz:<index>``, ``set:tzs``
(the zone list), ``set:tztype`` (type a zone), ``set:cards`` (the card list), ``set:card:<card_id>``,
``set:menu``; any other press under ``set:`` is answered on the screen: "no longer valid".
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler)

from chat.i18n import t
from handlers.alerts import callbacks as alert_buttons
from handlers.home import callbacks as home_buttons
from handlers.settings import callbacks as buttons
from handlers.ui import common as ui
from handlers.ui import confirm, entry
from wallet.errors import CardNotFound
from wallet.services import cards, people

FEATURE = "settings"
TZ_TEXT = "settings.tz_text"
ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
         "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Australia/Sydney", "UTC")


async def render_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, notice: str | None = None, *,
                      edit: bool = True):
    lang = await ui.language(update, context)
    profile = await ui.person(update, context, fresh=True)
    tz = await ui.timezone(update, context)
    card = await cards.default_card(ui.wallet(context), update.effective_user.id)
    now = ui.local_time(ui.wallet(context).now(), tz, "%H:%M")
    lines = [t(lang, "set.title"),
             t(lang, "set.language", language=t(lang, f"set.lang.{lang}")),
             t(lang, "set.timezone", timezone=(profile or {}).get("timezone") or tz.key, now=now),
             t(lang, "set.card", card=entry.card_label(card, lang) if card else t(lang, "set.no_card"))]
    other = "en" if lang == "zh_CN" else "zh"
    rows = [[(t(lang, "set.button.language"), buttons.Language(other).data())],
            [(t(lang, "set.button.timezone"), buttons.Zones().data())],
            [(t(lang, "set.button.card"), buttons.Cards().data())],
            [(t(lang, "set.button.alerts"), alert_buttons.Menu().data())],
            [(t(lang, "flow.home"), home_buttons.Back().data())]]
    text = "\n".join(([notice, ""] if notice else []) + lines)
    await entry.say(update, context, text, confirm.keyboard(rows), edit=edit)
    return ConversationHandler.END  # the buttons are entry points: no state waits (nor times out)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    return await render_menu(update, context)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    press = buttons.parse(update.callback_query.data)
    lang = await ui.language(update, context)
    wallet, uid = ui.wallet(context), update.effective_user.id
    if isinstance(press, buttons.Language):
        lang = await ui.set_language(update, context, buttons.Language.CODES[press.code])
        return await render_menu(update, context, t(lang, "set.language_set"))
    if isinstance(press, buttons.Zones):
        rows = [[(z, buttons.Zone(i).data()) for i, z in enumerate(ZONES[k:k + 2], start=k)] for k in range(0, len(ZONES), 2)]
        rows.append([(t(lang, "set.button.tz_type"), buttons.TypeZone().data()),
                     (t(lang, "set.button.back"), buttons.Menu().data())])
        await entry.say(update, context, t(lang, "set.tz_choose"), confirm.keyboard(rows))
        return ConversationHandler.END
    if isinstance(press, buttons.Zone) and press.index < len(ZONES):
        return await _set_zone(update, context, ZONES[press.index])
    if isinstance(press, buttons.TypeZone):
        await entry.say(update, context, t(lang, "set.tz_ask"))
        return TZ_TEXT
    if isinstance(press, buttons.Cards):
        bound = await cards.list_cards(wallet, uid)
        rows = [[(entry.card_label(c, lang) + (t(lang, "card.default_mark") if c["default"] else ""),
                  buttons.Card(c["card_id"]).data())] for c in bound]
        rows.append([(t(lang, "set.button.back"), buttons.Menu().data())])
        await entry.say(update, context, t(lang, "set.card_choose" if bound else "card.none"), confirm.keyboard(rows))
        return ConversationHandler.END
    if isinstance(press, buttons.Card):
        try:
            await cards.set_default_card(wallet, user_id=uid, card_id=press.card_id)
        except CardNotFound as err:
            return await render_menu(update, context, await ui.explain(update, context, err))
        return await render_menu(update, context, t(lang, "set.card_set"))
    if not isinstance(press, buttons.Menu):  # an old or crafted button: say so on the current screen
        return await render_menu(update, context, t(lang, "fallback.stale_button"))
    return await render_menu(update, context)


async def _set_zone(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str):
    await people.set_timezone(ui.wallet(context), update.effective_user.id, name)
    lang = await ui.language(update, context)
    return await render_menu(update, context, t(lang, "set.timezone_set", timezone=name),
                             edit=update.callback_query is not None)


async def on_tz_text(update: Update, context: ContextTypes.DEFAULT_TYPE):
    name = (update.effective_message.text or "").strip()
    if not people.valid_timezone(name):
        await update.effective_message.reply_text(t(await ui.language(update, context), "set.tz_unknown", text=name[:40]))
        return None
    return await _set_zone(update, context, name)


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("settings", start), CallbackQueryHandler(start, pattern=home_buttons.Settings.pattern()),
                      CallbackQueryHandler(on_button, pattern=buttons.ours)],
        states={TZ_TEXT: [entry.FlowText(FEATURE, on_tz_text)]},
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
