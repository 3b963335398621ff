"""The steps of a shop draft: registering a shop (name, category) and a new collection code's amount.

Buttons ``NameConfirm`` (``shn:cat:<i>:<nonce>``, the category) and ``CodeConfirm``
(``shc:open:0:<nonce>``, an open amount), with the nonce of the person's live draft
(handlers/shop/callbacks.py). The conversation is put together in handlers/shop/menu.py.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes, ConversationHandler
from telegram.helpers import escape

from chat.i18n import t
from handlers.shop import receive
from handlers.shop.callbacks import CodeConfirm, NameConfirm, NewCode
from handlers.shop.codes import code_buttons, send_code
from handlers.shop.draft import CodeDraft, RegisterDraft
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry
from wallet.errors import WalletError
from wallet.services import merchants

log = logging.getLogger("handlers.shop.menu")

FEATURE = RegisterDraft.FEATURE  # the conversation's name and the draft's (persisted: never rename)
NAME, CATEGORY, AMOUNT = "shop.name", "shop.category", "shop.amount"


# --- registering a shop ---------------------------------------------------------------------
async def ask_name(update: Update, context: ContextTypes.DEFAULT_TYPE):
    profile = await entry.begin(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    RegisterDraft.start(context)
    await entry.say(update, context, await ui.text(update, context, "shop.ask_name", limit=merchants.NAME_MAX), edit=False)
    return NAME


async def on_name(update: Update, context: ContextTypes.DEFAULT_TYPE):
    draft = RegisterDraft.load(context)
    if draft is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    name = (update.effective_message.text or "").strip()
    if not name or len(name) > merchants.NAME_MAX:
        await update.effective_message.reply_text(t(lang, "error.shop_invalid.name_too_long" if name else
                                                        "error.shop_invalid.name_empty", limit=merchants.NAME_MAX))
        return None
    draft = draft.replace(name=name).save(context)
    rows = [[(t(lang, f"shop.category.{c}"), NameConfirm("cat", i, draft.nonce).data())]
            for i, c in enumerate(merchants.CATEGORIES)]
    await update.effective_message.reply_text(t(lang, "shop.ask_category", name=escape(name)), parse_mode=ParseMode.HTML,
                                              reply_markup=confirm.keyboard(rows))
    return CATEGORY


async def on_category(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    draft = RegisterDraft.of(press.draft)
    if draft.name is None or not 0 <= press.row_id < len(merchants.CATEGORIES):
        return None
    lang = await ui.language(update, context)
    try:
        shop = await merchants.register_shop(ui.wallet(context), key=ui.op_key(update, "shop_register", draft),
                                             owner_id=update.effective_user.id, name=draft.name,
                                             category=merchants.CATEGORIES[press.row_id])
    except WalletError as err:  # a name the wallet refuses (characters): type another
        await update.callback_query.edit_message_text(await ui.explain(update, context, err))
        await context.bot.send_message(update.effective_chat.id, t(lang, "shop.ask_name", limit=merchants.NAME_MAX))
        draft.replace(name=None).save(context)
        return NAME
    RegisterDraft.drop(context)
    log.info("shop registered user=%s shop=%s", update.effective_user.id, shop["shop_id"])
    await update.callback_query.edit_message_text(t(lang, "shop.registered", name=escape(shop["name"])),
                                                  parse_mode=ParseMode.HTML)
    await send_code(update, context, shop["code"], title=shop["name"], buttons=code_buttons(lang, shop["shop_id"]))
    return ConversationHandler.END


# --- a new code: fixed amount or open (a shop's, or a receive code with an amount) ------------
async def ask_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``NewCode`` (a shop's new code) or ``ReceiveAmount`` (a receive code with an amount)."""
    query = update.callback_query
    new_code = NewCode.parse(query.data)
    shop_id = new_code.shop_id if new_code is not None else None
    if shop_id is not None:
        try:  # only one's own shop
            await merchants.codes_of(ui.wallet(context), update.effective_user.id, shop_id=shop_id)
        except WalletError as err:
            await query.answer(await ui.explain(update, context, err), show_alert=True)
            return ConversationHandler.END
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    draft = CodeDraft.start(context, shop_id=shop_id)
    rows = [[(t(lang, "shop.open_amount_button"), CodeConfirm("open", 0, draft.nonce).data())]] if shop_id else []
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
    draft = CodeDraft.load(context)
    if draft is None or draft.step != "code":
        return ConversationHandler.END
    lang = await ui.language(update, context)
    try:
        code = await merchants.create_code(ui.wallet(context), key=ui.op_key(update, "pay_code", draft),
                                           owner_id=update.effective_user.id, shop_id=draft.shop_id, amount=fen)
    except WalletError as err:
        await context.bot.send_message(update.effective_chat.id, await ui.explain(update, context, err))
        return None
    CodeDraft.drop(context)
    if code["shop_id"] is not None:
        await send_code(update, context, code, title=code["shop_name"], buttons=code_buttons(lang, code["shop_id"]))
    else:
        await send_code(update, context, code, title=t(lang, "receive.title"), buttons=receive.buttons(lang, code))
    return ConversationHandler.END


async def leave_for_receive(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``/receive`` during a step: the step ends, the receive code is shown."""
    CodeDraft.drop(context)
    await receive.show(update, context)
    return ConversationHandler.END
