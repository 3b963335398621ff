"""Confirming a red packet in the private chat: ``/start hb_<nonce>`` from the waiting card (in a
group, or inline) shows the summary and the PIN keypad; after the PIN the packet is made and the
card goes live (handlers/red_packet/card.py). PINs are never entered in a group: the same link
typed in a group (``/start hb_<nonce>``) is answered there with a button to the private chat, and
nothing else. Someone other than the sender following the link is told the packet waits for its
sender's confirmation (the link's owner tag, handlers/red_packet/hongbao.py ``owner_tag``).

When the balance is short (余额不足) the summary offers instead "top up the shortfall from card
****1234 and pay" and "pay with card ****1234" (handlers/ui/shortfall.py): callback_data
``hb:st|sc|no:0:<nonce>`` (the draft's nonce; private chat only; ``Confirm`` and the deep link in
handlers/red_packet/callbacks.py). The draft's nonce gives the packet's key: a second PIN entry or a
re-delivered update makes one packet.
"""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler, filters

from handlers.red_packet import card as red_packet_card
from handlers.red_packet import hongbao as rp
from handlers.red_packet.callbacks import CONFIRM_LINK, Confirm, confirm_link_parts
from handlers.red_packet.draft import PacketDraft
from chat.i18n import t
from handlers.ui import common as ui
from handlers.ui import confirm, keypad, payment, shortfall, step_up
from handlers.ui.card import deep_link
from wallet.errors import PinRequired, WalletError
from wallet.services import red_packets

CONFIRM = "hongbao.confirm"


async def confirm_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``/start hb_<nonce>`` from the waiting card: the summary and the PIN keypad (or, when the
    balance is short, the two ways to pay with a card)."""
    lang = await ui.language(update, context)
    nonce, tag = confirm_link_parts(update.effective_message.text)  # the handler's filter: never None here
    draft = PacketDraft.load(context)
    if tag and tag != rp.owner_tag(update.effective_user.id):
        await update.effective_message.reply_text(t(lang, "rp.not_your_packet"))
        return ConversationHandler.END
    if draft is None or draft.nonce != nonce or not draft.card:
        await update.effective_message.reply_text(t(lang, "rp.stale"))
        return ConversationHandler.END
    if not ui.is_open(await ui.person(update, context)):
        await update.effective_message.reply_text(t(lang, "rp.sender_no_wallet_private"))
        return ConversationHandler.END
    short = await shortfall.offer(update, context, draft, draft.total, Confirm.prefix)
    if short is not None:
        rows = short.rows + [[(t(lang, "flow.cancel_button"), Confirm("no", 0, draft.nonce).data())]]
        await update.effective_message.reply_text("\n".join([rp.describe(lang, draft.spec), short.line]),
                                                  reply_markup=confirm.keyboard(rows))
        return CONFIRM
    await update.effective_message.reply_text(rp.describe(lang, draft.spec))
    if not await keypad.show(update, context, title=_pin_title(lang, draft), owner=rp.PIN):
        return ConversationHandler.END  # the PIN is locked: told, with the reset button (the card still waits)
    return rp.PIN


async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The confirm link typed in a group: no keypad there, only where to confirm."""
    lang = await ui.language(update, context)
    payload = (update.effective_message.text or "").split(maxsplit=1)[1]
    button = InlineKeyboardButton(t(lang, "rp.confirm_button"), url=deep_link(context, payload))
    await update.effective_message.reply_text(t(lang, "rp.confirm_in_private"),
                                              reply_markup=InlineKeyboardMarkup([[button]]))


def _pin_title(lang: str, draft: PacketDraft) -> str:
    return t(lang, "rp.pin_title", total=ui.money(draft.total))


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """A press of one of the shortfall choices, or Cancel."""
    press = await confirm.pressed(update, context, rp.FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    if await press.cancelled(update, context):
        return ConversationHandler.END
    draft = PacketDraft.of(press.draft)
    if draft.confirmed:  # a double tap: the keypad is on its way
        return rp.PIN
    if press.verb not in shortfall.VERBS:
        return None
    return await shortfall.to_keypad(update, context, press.verb, draft, owner=rp.PIN, title=_pin_title(lang, draft),
                                     without_pin=(draft.total, lambda: pay(update, context, pin=None, no_pin=True)))


async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    return await pay(update, context, pin=pin)


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str):
    """The SMS code the risk engine asked for (handlers/ui/step_up.py): the same packet again."""
    return await pay(update, context, pin=None, step_up_code=code)


async def pay(update: Update, context: ContextTypes.DEFAULT_TYPE, *, pin: str | None, step_up_code: str | None = None,
              no_pin: bool = False):
    lang = await ui.language(update, context)
    draft = PacketDraft.load(context)
    chat = update.effective_chat.id
    if draft is None or not draft.card:
        await context.bot.send_message(chat, t(lang, "rp.stale"))
        return ConversationHandler.END
    uid = update.effective_user.id
    spec = draft.spec  # what the packet is (amount per share for equal packets), stated once
    try:
        packet = await payment.pay(
            context, draft, key=ui.op_key(update, "rp_create", draft), user_id=uid, pin=pin, step_up_code=step_up_code, no_pin=no_pin,
            pay=lambda **kw: red_packets.create(
                ui.wallet(context), sender_id=uid, kind=spec.kind, amount=spec.amount,
                shares=spec.shares, chat_id=draft.chat_id,
                exclusive_user_id=draft.exclusive_user_id, greeting=spec.greeting, **kw))
    except PinRequired as err:  # 免密支付 does not cover it now: the keypad after all
        return await payment.pin_after_all(update, context, err, title=_pin_title(lang, draft), owner=rp.PIN,
                                             say=lambda text: context.bot.send_message(chat, text))
    except WalletError as err:
        return await shortfall.refused(update, context, err, draft, amount=draft.total,
                                       prefix=Confirm.prefix, confirm_state=CONFIRM,
                                       say=lambda text: context.bot.send_message(chat, text))
    PacketDraft.drop(context)
    await red_packet_card.go_live(context.application, packet["packet_id"], {
        **draft.card, "token": draft.nonce, "lang": lang, "sender": draft.sender,
        "exclusive_name": draft.exclusive_name})
    lines = [t(lang, "rp.sent", total=ui.money(packet["total"]))]
    charged = payment.charged_line(lang, draft)
    if charged:
        lines.append(charged)
    await context.bot.send_message(chat, "\n".join(lines))
    return ConversationHandler.END


def conversation() -> ConversationHandler:
    press = CallbackQueryHandler(on_press, pattern=Confirm.pattern())
    return ui.conversation(
        rp.FEATURE,
        entry_points=[CommandHandler("start", confirm_start, filters=filters.ChatType.PRIVATE & filters.Regex(CONFIRM_LINK)),
                      press],  # an older screen: a popup (stale)
        states={CONFIRM: [press], rp.PIN: [press, *step_up.state(rp.FEATURE, on_code, load=PacketDraft.load),
                                            *keypad.state(on_pin, owner=rp.PIN)]},
    )


def register(app: Application) -> None:
    """Before onboarding (the deep link ``/start hb_<nonce>`` is ours)."""
    app.add_handler(conversation())
    app.add_handler(CommandHandler("start", in_group, filters=filters.ChatType.GROUPS & filters.Regex(CONFIRM_LINK)))
