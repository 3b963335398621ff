"""Amount entry: what a person typed -> fen, or the reason it was refused (``wallet.money``).

    fen = await amount.read(update, context)                 # None: refused, the reason was sent
    fen = await amount.read(update, context, allow_all=True) # amount.ALL for "all" / "全部"
    fen = await amount.read(update, context, payment=True)   # also refused: more than any payment may be
    if fen is None:
        return None                                          # stay on the step

    draft = await amount.into_draft(update, context, TransferDraft, payment=True)  # the step of a draft
    if not isinstance(draft, TransferDraft):
        return draft                                         # END: no draft; None: stay on the step
"""
from __future__ import annotations

from typing import TypeVar

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from handlers.ui import common as ui
from handlers.ui.draft import Draft
from wallet.errors import InvalidAmount, WalletError
from wallet.money import parse_amount, require_amount

D = TypeVar("D", bound=Draft)

ALL = "all"
ALL_WORDS = {"all", "everything", "max", "全部", "全部提现", "全提", "所有"}


def parse(text: str, *, allow_all: bool = False) -> int | str:
    """``parse_amount`` strictly; with ``allow_all`` the words for "all" give ``ALL``."""
    if allow_all and text.strip().lower() in ALL_WORDS:
        return ALL
    return parse_amount(text)


async def read(update: Update, context: ContextTypes.DEFAULT_TYPE, *, allow_all: bool = False,
               payment: bool = False) -> int | str | None:
    """The amount of the person's message, or None after telling them what was wrong. With
    ``payment`` an amount over the wallet's maximum is refused here, not after the PIN."""
    try:
        fen = parse(update.effective_message.text or "", allow_all=allow_all)
        if payment and fen != ALL:
            require_amount(fen, max_fen=ui.wallet(context).rules.max_amount)
        return fen
    except (InvalidAmount, WalletError) as err:
        await update.effective_message.reply_text(await ui.explain(update, context, err))
        return None


async def into_draft(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: type[D], *,
                     payment: bool = False) -> D | int | None:
    """An amount step of the live draft of ``kind`` (a typed draft with an ``amount`` field, in
    fen): the amount read (as ``read``), kept and stored. Returns the draft;
    ``ConversationHandler.END`` when there is no draft (the flow ended elsewhere); None when the
    amount was refused (the reason was sent)."""
    draft = kind.load(context)
    if draft is None:
        return ConversationHandler.END
    fen = await read(update, context, payment=payment)
    if fen is None:
        return None
    return draft.replace(amount=fen).save(context)
