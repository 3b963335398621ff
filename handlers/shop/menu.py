"""Shops (商家收款) in the private chat: the ``/shop`` list, one shop's screen, the flow's wiring.

- ``/shop``: the person's shops, and "Register a shop" (name -> category -> the shop with its
  first, open-amount collection code).
- A shop: its active codes, each with its QR picture (a PNG photo of the deep link
  ``https://t.me/<bot>?start=pay_<code>``) and the same as a plain payment link; a new code with a
  fixed amount or an open one; revoke a code (a revoked code is refused to payers).
- ``/receive`` (收款码): the person's own receive code for friends, and ``home:pay``, the
  "Pay / Collect" menu (handlers/shop/receive.py).

A code's QR picture, link and buttons: handlers/shop/codes.py; the draft steps (register a shop,
a new code's amount): handlers/shop/steps.py. Paying a code is handlers/shop/pay.py. The buttons
(``shop:<verb>:<id>`` for the screens, checked on every press against the presser's own shops and
codes; ``shn`` / ``shc`` for the steps of a draft) are stated in handlers/shop/callbacks.py.
"""
from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler, filters
from telegram.helpers import escape

from chat.i18n import t
from handlers.shop.callbacks import (CodeConfirm, NameConfirm, NewCode, NewShop, OpenShop, ReceiveAmount, Revoke,
                                     RevokeNo, RevokeYes, Shops, ShowQr, any_of, button)
from handlers.shop.codes import code_amount, on_qr, on_revoke, on_revoke_no
from handlers.shop.steps import (AMOUNT, CATEGORY, FEATURE, NAME, ask_amount, ask_name, leave_for_receive, on_amount,
                                 on_category, on_name, on_open_amount)
from handlers.ui import common as ui
from handlers.ui import entry
from wallet.errors import WalletError
from wallet.services import merchants

MAX_CODES_SHOWN = 8


# --- the list of shops -------------------------------------------------------------------------
async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``/shop`` (also during a step of this flow: the step ends) and ``Shops``."""
    ui.drop_draft(context, FEATURE)
    profile = await entry.begin(update, context)
    if profile is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    shops = await merchants.shops_of(ui.wallet(context), profile["user_id"])
    lines = [t(lang, "shop.list_title")]
    lines += [t(lang, "shop.list_line", name=escape(s["name"]), category=t(lang, f"shop.category.{s['category']}"))
              for s in shops] or [t(lang, "shop.none")]
    rows = [[button("🏪 " + s["name"], OpenShop(s["shop_id"]))] for s in shops]
    rows.append([button(t(lang, "shop.register_button"), NewShop())])
    rows += entry.home_button(lang).inline_keyboard
    await entry.say(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))
    return ConversationHandler.END


# --- one shop and its codes -----------------------------------------------------------------
async def show_shop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = await ui.language(update, context)
    shop_id = OpenShop.parse(query.data).shop_id
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
    rows = [[button(t(lang, "shop.qr_button", n=i + 1), ShowQr(c["code_id"])),
             button(t(lang, "shop.revoke_button", n=i + 1), Revoke(c["code_id"]))] for i, c in enumerate(shown)]
    rows += [[button(t(lang, "shop.new_code_button"), NewCode(shop_id)),
              button(t(lang, "shop.my_shops_button"), Shops())]]
    await entry.say(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


def conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE), CommandHandler("shop", show_list, filters=private),
                            CommandHandler("receive", leave_for_receive, filters=private)],
        entry_points=[CallbackQueryHandler(ask_name, pattern=NewShop.pattern()),
                      CallbackQueryHandler(ask_amount, pattern=any_of(NewCode, ReceiveAmount)),
                      # an older step's buttons: a popup (stale)
                      CallbackQueryHandler(on_category, pattern=NameConfirm.pattern()),
                      CallbackQueryHandler(on_open_amount, pattern=CodeConfirm.pattern())],
        states={
            NAME: [entry.FlowText(FEATURE, on_name)],
            CATEGORY: [CallbackQueryHandler(on_category, pattern=NameConfirm.pattern())],
            AMOUNT: [entry.FlowText(FEATURE, on_amount), CallbackQueryHandler(on_open_amount,
                                                                               pattern=CodeConfirm.pattern())],
        },
    )


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(conversation())
    app.add_handler(CommandHandler("shop", show_list, filters=private))
    app.add_handler(CallbackQueryHandler(show_list, pattern=Shops.pattern()))
    app.add_handler(CallbackQueryHandler(show_shop, pattern=OpenShop.pattern()))
    app.add_handler(CallbackQueryHandler(on_qr, pattern=ShowQr.pattern()))
    app.add_handler(CallbackQueryHandler(on_revoke, pattern=any_of(Revoke, RevokeYes)))
    app.add_handler(CallbackQueryHandler(on_revoke_no, pattern=RevokeNo.pattern()))
