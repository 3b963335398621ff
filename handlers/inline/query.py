"""Inline mode (``@bot 20`` in any chat): the one InlineQueryHandler and the one
ChosenInlineResultHandler of the bot. Each feature builds its own results and keeps its own
draft; this module asks them in order and hands a chosen result to the feature whose prefix
its id carries (each feature states its result ids in its callbacks.py: ``tf:<nonce>``,
``hb:<nonce>``). Inline mode sends no buttons of its own (handlers/inline/callbacks.py).

- ``@bot 20`` offers "Transfer ¥20.00" (handlers/transfer/inline.py) and "Red packet ¥20.00"
  (handlers/red_packet/inline.py); ``@bot 20 dinner`` the transfer with a note and a packet with that
  greeting; ``@bot 20 5 greeting`` (or ``@bot hb 20 5``) only the packet of 5 shares.
- The chosen card says "waiting for the sender's confirmation" with a deep link into the
  private chat; the PIN is typed there; then the card goes live. Presses on the card carry its
  ``inline_message_id``, which each feature checks against the card it kept.

An inline card names nobody: the transfer goes to the first person other than the sender who
presses Accept with an open wallet (handlers/transfer/inline.py, handlers/transfer/card.py). Telegram sends the chosen
result only with inline feedback on (BotFather ``/setinlinefeedback``); the local emulator does.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ChosenInlineResultHandler, ContextTypes, InlineQueryHandler

from handlers.red_packet import callbacks as red_packet_callbacks
from handlers.red_packet import inline as red_packet_inline
from handlers.transfer import callbacks as transfer_callbacks
from handlers.transfer import inline as transfer_inline

log = logging.getLogger("handlers.inline.query")

# (result-id prefix, results builder, chosen-result hook), in the order the results are shown
PROVIDERS = [
    (transfer_callbacks.InlineResult.prefix, transfer_inline.inline_results, transfer_inline.chosen),
    (red_packet_callbacks.InlineResult.prefix, red_packet_inline.inline_results, red_packet_inline.chosen),
]


def provider_of(result_id: str | None) -> str | None:
    """The prefix of the feature whose result this id names (``tf:…`` -> ``tf``), if any."""
    head, colon, _ = (result_id or "").partition(":")
    return head if colon and any(head == prefix for prefix, _, _ in PROVIDERS) else None


async def on_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    results = []
    for prefix, build, _ in PROVIDERS:
        try:
            results += await build(update, context)
        except Exception:  # one feature failing leaves the others' results
            log.exception("inline results of %s failed", prefix)
    await update.inline_query.answer(results[:50], cache_time=0, is_personal=True)


async def on_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    owner = provider_of(update.chosen_inline_result.result_id)
    for prefix, _, hook in PROVIDERS:
        if prefix == owner:
            await hook(update, context)
            return


def register(app: Application) -> None:
    app.add_handler(InlineQueryHandler(on_query))
    app.add_handler(ChosenInlineResultHandler(on_chosen))
