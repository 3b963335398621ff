"""Shops and collection codes (商家收款), in the private chat: ``/shop``, "Pay / Collect" on home.

- ``/shop``: the person's shops, and "Register a shop" (name -> category -> the shop with its
  first, open-amount collection code).
- A shop: its active codes, each with its QR picture (a PNG photo of the deep link
  ``https://t.me/<bot>?start=pay_<code>``) and the same as a plain payment link; a new code with a
  fixed amount or an open one; revoke a code (a revoked code is refused to payers).
- ``/receive`` (收款码): the person's own receive code for friends, and ``home:pay``, the
  "Pay / Collect" menu (handlers/receive.py).

Paying a code is handlers/pay.py. callback_data: ``shop:<verb>:<id>`` (list, open <shop id>,
code <shop id>, qr / rv / rvy <code id>) for the screens, checked on every press against the
presser's own shops and codes; ``shn:cat:<i>:<nonce>`` and ``shc:open:0:<nonce>`` for the
steps of a draft (register, new code).
"""
from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler, filters
from telegram.helpers import escape

from handlers.i18n import t
from handlers.render.qr import pay_link, qr_png
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry
from wallet.errors import WalletError
from wallet.services import merchants

log = logging.getLogger("handlers.shop")

FEATURE = "shop"
NAME, CATEGORY, AMOUNT = "shop.name", "shop.category", "shop.amount"
MAX_CODES_SHOWN = 8


def button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def code_amount(lang: str, code: dict) -> str:
    return ui.money(code["amount"]) if code["amount"] is not None else t(lang, "shop.any_amount")


# --- the QR picture and the link (shared with handlers/receive.py) ---------------------------
async def send_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code: dict, *, title: str,
                    buttons: list[list[InlineKeyboardButton]] | None = None) -> None:
    """The code's QR picture (a photo) with ``title`` and its amount, then the payment link as text."""
    lang = await ui.language(update, context)
    link = pay_link(context.bot.username, code["code"])
    chat = update.effective_chat.id
    caption = t(lang, "shop.qr_caption", title=escape(title), amount=code_amount(lang, code))
    await context.bot.send_photo(chat, qr_png(link), caption=caption, parse_mode=ParseMode.HTML)
    await context.bot.send_message(chat, t(lang, "shop.link", link=link),
                                   reply_markup=InlineKeyboardMarkup(buttons) if buttons else None)


async def own_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code_id: int) -> dict | None:
    """The presser's own code with this id (revoked ones too), or None after a popup."""
    codes = await merchants.codes_of(ui.wallet(context), update.effective_user.id, include_revoked=True)
    found = next((c for c in codes if c["code_id"] == code_id), None)
    if found is None:
        await update.callback_query.answer(await ui.text(update, context, "shop.not_yours"), show_alert=True)
    return found


# --- the list of shops -------------------------------------------------------------------------
async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``/shop`` (also during a step of this flow: the step ends) and ``shop:list:0``."""
    ui.drop_draft(context, FEATURE)
    profile = await entry.begin(update, context)
    if profile is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    shops = await merchants.shops_of(ui.wallet(context), profile["user_id"])
    lines = [t(lang, "shop.list_title")]
    lines += [t(lang, "shop.list_line", name=escape(s["name"]), category=t(lang, f"shop.category.{s['category']}"))
              for s in shops] or [t(lang, "shop.none")]
    rows = [[button("🏪 " + s["name"], f"shop:open:{s['shop_id']}")] for s in shops]
    rows.append([button(t(lang, "shop.register_button"), "shop:new:0")])
    rows.append([button(t(lang, "flow.home"), "home:back")])
    await entry.say(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))
    return ConversationHandler.END


# --- registering a shop ---------------------------------------------------------------------
async def ask_name(update: Update, context: ContextTypes.DEFAULT_TYPE):
    profile = await entry.begin(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    ui.new_draft(context, FEATURE, step="register")
    await entry.say(update, context, await ui.text(update, context, "shop.ask_name", limit=merchants.NAME_MAX), edit=False)
    return NAME


async def on_name(update: Update, context: ContextTypes.DEFAULT_TYPE):
    draft = ui.draft(context, FEATURE)
    if draft is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    name = (update.effective_message.text or "").strip()
    if not name or len(name) > merchants.NAME_MAX:
        await update.effective_message.reply_text(t(lang, "error.shop_invalid.name_too_long" if name else
                                                        "error.shop_invalid.name_empty", limit=merchants.NAME_MAX))
        return None
    draft["name"] = name
    rows = [[(t(lang, f"shop.category.{c}"), confirm.data("shn", "cat", i, draft))]
            for i, c in enumerate(merchants.CATEGORIES)]
    await update.effective_message.reply_text(t(lang, "shop.ask_category", name=escape(name)), parse_mode=ParseMode.HTML,
                                              reply_markup=confirm.keyboard(rows))
    return CATEGORY


async def on_category(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    draft = press.draft
    if "name" not in draft or not 0 <= press.row_id < len(merchants.CATEGORIES):
        return None
    lang = await ui.language(update, context)
    try:
        shop = await merchants.register_shop(ui.wallet(context), key=ui.op_key(update, "shop_register", draft),
                                             owner_id=update.effective_user.id, name=draft["name"],
                                             category=merchants.CATEGORIES[press.row_id])
    except WalletError as err:  # a name the wallet refuses (characters): type another
        await update.callback_query.edit_message_text(await ui.explain(update, context, err))
        await context.bot.send_message(update.effective_chat.id, t(lang, "shop.ask_name", limit=merchants.NAME_MAX))
        draft.pop("name", None)
        return NAME
    ui.drop_draft(context, FEATURE)
    log.info("shop registered user=%s shop=%s", update.effective_user.id, shop["shop_id"])
    await update.callback_query.edit_message_text(t(lang, "shop.registered", name=escape(shop["name"])),
                                                  parse_mode=ParseMode.HTML)
    await send_code(update, context, shop["code"], title=shop["name"], buttons=_code_buttons(lang, shop["shop_id"]))
    return ConversationHandler.END


# --- one shop and its codes -----------------------------------------------------------------
def _code_buttons(lang: str, shop_id: int) -> list[list[InlineKeyboardButton]]:
    return [[button(t(lang, "shop.new_code_button"), f"shop:code:{shop_id}"),
             button(t(lang, "shop.open_button"), f"shop:open:{shop_id}")]]


async def show_shop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = await ui.language(update, context)
    shop_id = int(query.data.rsplit(":", 1)[1])
    try:
        codes = await merchants.codes_of(ui.wallet(context), update.effective_user.id, shop_id=shop_id)
    except WalletError as err:  # not this person's shop (or none): nothing shown
        await query.answer(await ui.explain(update, context, err), show_alert=True)
        return
    await query.answer()
    shop = next((s for s in await merchants.shops_of(ui.wallet(context), update.effective_user.id)
                 if s["shop_id"] == shop_id), None)
    shown = codes[-MAX_CODES_SHOWN:]
    lines = [t(lang, "shop.title", name=escape(shop["name"]), category=t(lang, f"shop.category.{shop['category']}"))]
    lines += [t(lang, "shop.code_line", n=i + 1, amount=code_amount(lang, c)) for i, c in enumerate(shown)]
    if not shown:
        lines.append(t(lang, "shop.no_codes"))
    rows = [[button(t(lang, "shop.qr_button", n=i + 1), f"shop:qr:{c['code_id']}"),
             button(t(lang, "shop.revoke_button", n=i + 1), f"shop:rv:{c['code_id']}")] for i, c in enumerate(shown)]
    rows += [[button(t(lang, "shop.new_code_button"), f"shop:code:{shop_id}"),
              button(t(lang, "shop.my_shops_button"), "shop:list:0")]]
    await entry.say(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def on_qr(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    code = await own_code(update, context, int(update.callback_query.data.rsplit(":", 1)[1]))
    if code is None:
        return
    lang = await ui.language(update, context)
    if code["status"] != "active":
        await update.callback_query.answer(t(lang, "shop.code_revoked"), show_alert=True)
        return
    await update.callback_query.answer()
    title = code["shop_name"] or t(lang, "receive.title")
    await send_code(update, context, code, title=title)


async def on_revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``shop:rv:<id>`` asks; ``shop:rvy:<id>`` revokes (twice is harmless: the same key replays)."""
    query = update.callback_query
    _, verb, raw = query.data.split(":")
    code = await own_code(update, context, int(raw))
    if code is None:
        return
    lang = await ui.language(update, context)
    if verb == "rv":
        await query.answer()
        rows = [[button(t(lang, "shop.revoke_yes"), f"shop:rvy:{code['code_id']}"),
                 button(t(lang, "flow.cancel_button"), "shop:rvn:0")]]
        await entry.say(update, context, t(lang, "shop.revoke_ask", amount=code_amount(lang, code)),
                        InlineKeyboardMarkup(rows), edit=False)
        return
    try:
        await merchants.revoke_code(ui.wallet(context), key=ui.op_key(update, "pay_code_revoke", str(code["code_id"])),
                                    owner_id=update.effective_user.id, code=code["code"])
    except WalletError as err:
        await query.answer(await ui.explain(update, context, err), show_alert=True)
        return
    await query.answer(t(lang, "shop.revoked"))
    log.info("pay code revoked user=%s code_id=%s", update.effective_user.id, code["code_id"])
    await query.edit_message_text(t(lang, "shop.revoked"), reply_markup=entry.home_button(lang))


async def on_revoke_no(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(await ui.text(update, context, "keypad.cancelled"))


# --- a new code: fixed amount or open (a shop's, or a receive code with an amount) ------------
async def ask_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``shop:code:<shop id>`` (a shop's new code) or ``shop:rca:0`` (a receive code with an amount)."""
    query = update.callback_query
    _, verb, raw = query.data.split(":")
    shop_id = int(raw) if verb == "code" else None
    if shop_id is not None:
        try:  # only one's own shop
            await merchants.codes_of(ui.wallet(context), update.effective_user.id, shop_id=shop_id)
        except WalletError as err:
            await query.answer(await ui.explain(update, context, err), show_alert=True)
            return ConversationHandler.END
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    draft = ui.new_draft(context, FEATURE, step="code", shop_id=shop_id)
    rows = [[(t(lang, "shop.open_amount_button"), confirm.data("shc", "open", 0, draft))]] if shop_id else []
    await context.bot.send_message(update.effective_chat.id,
                                   t(lang, "shop.ask_amount" if shop_id else "receive.ask_amount"),
                                   reply_markup=confirm.keyboard(rows) if rows else None)
    return AMOUNT


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    fen = await amount_ui.read(update, context)
    if fen is None:
        return None
    return await make_code(update, context, fen)


async def on_open_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await confirm.pressed(update, context, FEATURE) is None:
        return None
    await update.callback_query.edit_message_reply_markup(None)
    return await make_code(update, context, None)


async def make_code(update: Update, context: ContextTypes.DEFAULT_TYPE, fen: int | None):
    draft = ui.draft(context, FEATURE)
    if draft is None or draft.get("step") != "code":
        return ConversationHandler.END
    lang = await ui.language(update, context)
    try:
        code = await merchants.create_code(ui.wallet(context), key=ui.op_key(update, "pay_code", draft),
                                           owner_id=update.effective_user.id, shop_id=draft["shop_id"], amount=fen)
    except WalletError as err:
        await context.bot.send_message(update.effective_chat.id, await ui.explain(update, context, err))
        return None
    ui.drop_draft(context, FEATURE)
    if code["shop_id"] is not None:
        await send_code(update, context, code, title=code["shop_name"], buttons=_code_buttons(lang, code["shop_id"]))
    else:
        from handlers import receive

        await send_code(update, context, code, title=t(lang, "receive.title"), buttons=receive.buttons(lang, code))
    return ConversationHandler.END


async def leave_for_receive(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``/receive`` during a step: the step ends, the receive code is shown."""
    from handlers import receive

    ui.drop_draft(context, FEATURE)
    await receive.show(update, context)
    return ConversationHandler.END


def conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE), CommandHandler("shop", show_list, filters=private),
                            CommandHandler("receive", leave_for_receive, filters=private)],
        entry_points=[CallbackQueryHandler(ask_name, pattern=r"^shop:new:0$"),
                      CallbackQueryHandler(ask_amount, pattern=r"^shop:(code:\d+|rca:0)$"),
                      # an older step's buttons: a popup (stale)
                      CallbackQueryHandler(on_category, pattern=confirm.pattern("shn")),
                      CallbackQueryHandler(on_open_amount, pattern=confirm.pattern("shc"))],
        states={
            NAME: [entry.FlowText(FEATURE, on_name)],
            CATEGORY: [CallbackQueryHandler(on_category, pattern=confirm.pattern("shn"))],
            AMOUNT: [entry.FlowText(FEATURE, on_amount), CallbackQueryHandler(on_open_amount, pattern=confirm.pattern("shc"))],
        },
    )


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(conversation())
    app.add_handler(CommandHandler("shop", show_list, filters=private))
    app.add_handler(CallbackQueryHandler(show_list, pattern=r"^shop:list:0$"))
    app.add_handler(CallbackQueryHandler(show_shop, pattern=r"^shop:open:\d+$"))
    app.add_handler(CallbackQueryHandler(on_qr, pattern=r"^shop:qr:\d+$"))
    app.add_handler(CallbackQueryHandler(on_revoke, pattern=r"^shop:(rv|rvy):\d+$"))
    app.add_handler(CallbackQueryHandler(on_revoke_no, pattern=r"^shop:rvn:0$"))
