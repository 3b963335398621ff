"""Alert settings (from /settings → 🔔 Alerts): low-balance threshold (off until set), security
tips daily / weekly / off, quiet hours, the PIN-age reminder. One message, edited in place; the
alerts themselves are jobs/alerts.py.

callback_data (handlers/alerts/callbacks.py): ``alr:menu``, ``alr:low:<fen|off>``, ``alr:lowtype``
(type an amount), ``alr:tips:<daily|weekly|off>``, ``alr:quiet:<index|off>``, ``alr:pin:<days|off>``.
Anything else (a crafted value) is refused with a popup and changes nothing.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.alerts import callbacks as buttons
from handlers.home import callbacks as home_buttons
from handlers.settings import callbacks as settings_buttons
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry
from wallet.services import alert_prefs

FEATURE = "settings_alerts"
LOW_TEXT = "settings_alerts.low_text"
LOW_PRESETS = (5_000, 10_000, 50_000)  # ¥50, ¥100, ¥500
QUIET_PRESETS = ((22 * 60, 8 * 60), (23 * 60, 7 * 60), (21 * 60, 9 * 60))
PIN_PRESETS = (90, 180, 365)


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse(data: object) -> tuple[str, dict] | None:
    """(verb, preference changes) of a press, or None for anything not offered (a button this
    screen never shows: a value not among the presets, a crafted one)."""
    press = buttons.parse(data)
    if isinstance(press, (buttons.Menu, buttons.LowType)):
        return press.verb, {}
    if isinstance(press, buttons.LowOff):
        return press.verb, {"low_balance": None}
    if isinstance(press, buttons.Low) and press.fen in LOW_PRESETS:
        return press.verb, {"low_balance": press.fen}
    if isinstance(press, buttons.Tips) and press.frequency in alert_prefs.TIPS:
        return press.verb, {"tips": press.frequency}
    if isinstance(press, buttons.QuietOff):
        return press.verb, {"quiet": None}
    if isinstance(press, buttons.Quiet) and press.index < len(QUIET_PRESETS):
        return press.verb, {"quiet": QUIET_PRESETS[press.index]}
    if isinstance(press, buttons.PinAgeOff):
        return press.verb, {"pin_age_days": None}
    if isinstance(press, buttons.PinAge) and press.days in PIN_PRESETS:
        return press.verb, {"pin_age_days": press.days}
    return None


def _mark(label: str, chosen: bool) -> str:
    return f"✅ {label}" if chosen else label


async def render(update: Update, context: ContextTypes.DEFAULT_TYPE, notice: str | None = None, *,
                 edit: bool = True):
    lang = await ui.language(update, context)
    p = await alert_prefs.prefs(ui.wallet(context), update.effective_user.id)
    off = t(lang, "alr.off")
    low = p["low_balance"]
    quiet = (p["quiet_start"], p["quiet_end"]) if p["quiet_start"] is not None else None
    lines = [t(lang, "alr.title"),
             t(lang, "alr.low", value=t(lang, "alr.low_below", amount=ui.money(low)) if low else off),
             t(lang, "alr.tips", value=t(lang, f"alr.tips.{p['tips']}")),
             t(lang, "alr.quiet", value=f"{_hm(quiet[0])}–{_hm(quiet[1])}" if quiet else off),
             t(lang, "alr.pin", value=t(lang, "alr.pin_days", days=p["pin_age_days"]) if p["pin_age_days"] else off),
             t(lang, "alr.quiet_note")]
    # every button says what it sets (never a bare "off" or number)
    quiet_buttons = [(_mark(t(lang, "alr.button.quiet", hours=f"{_hm(a)}–{_hm(b)}"), quiet == (a, b)),
                      buttons.Quiet(i).data()) for i, (a, b) in enumerate(QUIET_PRESETS)]
    quiet_buttons.append((_mark(t(lang, "alr.button.quiet_off"), quiet is None), buttons.QuietOff().data()))
    pin_buttons = [(_mark(t(lang, "alr.button.pin", days=d), p["pin_age_days"] == d), buttons.PinAge(d).data())
                   for d in PIN_PRESETS]
    pin_buttons.append((_mark(t(lang, "alr.button.pin_off"), p["pin_age_days"] is None), buttons.PinAgeOff().data()))
    rows = [[(_mark(t(lang, "alr.button.low", amount=ui.money(v)), low == v), buttons.Low(v).data()) for v in LOW_PRESETS],
            [(t(lang, "alr.button.low_type"), buttons.LowType().data()),
             (_mark(t(lang, "alr.button.low_off"), low is None), buttons.LowOff().data())],
            [(_mark(t(lang, f"alr.button.tips.{f}"), p["tips"] == f), buttons.Tips(f).data()) for f in alert_prefs.TIPS],
            quiet_buttons[:2], quiet_buttons[2:], pin_buttons[:2], pin_buttons[2:],
            [(t(lang, "set.button.back"), settings_buttons.Menu().data()),
             (t(lang, "flow.home"), home_buttons.Back().data())]]
    text = "\n".join(([notice, ""] if notice else []) + lines)
    await entry.say(update, context, text, confirm.keyboard(rows), edit=edit)
    return ConversationHandler.END


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE):
    query = update.callback_query
    parsed = parse(query.data)
    if parsed is None:  # not a button this screen offers: refused, nothing changes
        await query.answer(t(await ui.language(update, context), "alr.refused"), show_alert=True)
        return ConversationHandler.END
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    verb, changes = parsed
    lang = await ui.language(update, context)
    if verb == "lowtype":
        await entry.say(update, context, t(lang, "alr.low_ask"))
        return LOW_TEXT
    if changes:
        await alert_prefs.set_prefs(ui.wallet(context), update.effective_user.id, **changes)
        return await render(update, context, t(lang, "alr.saved"))
    return await render(update, context)


async def on_low_text(update: Update, context: ContextTypes.DEFAULT_TYPE):
    value = await amount_ui.read(update, context)
    if value is None:
        return None  # told what was wrong; still waiting for an amount
    lang = await ui.language(update, context)
    if value > alert_prefs.MAX_THRESHOLD:
        await update.effective_message.reply_text(t(lang, "alr.low_too_big", amount=ui.money(alert_prefs.MAX_THRESHOLD)))
        return None
    await alert_prefs.set_prefs(ui.wallet(context), update.effective_user.id, low_balance=value)
    return await render(update, context, t(lang, "alr.saved"), edit=False)


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CallbackQueryHandler(on_button, pattern=buttons.ours)],
        states={LOW_TEXT: [entry.FlowText(FEATURE, on_low_text)]},
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
