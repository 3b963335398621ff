"""Every Bot API request of the wallet bot goes through ``WalletRateLimiter``: Telegram's limits
(``AIORateLimiter``: 30 messages a second, 20 a minute per group), and a callback query that can no
longer be answered is not an error.

Telegram takes one answer per callback query. The same query reaches the bot again when an update
is delivered again (its getUpdates offset was not confirmed before a crash or a restart; a webhook
delivery retried), and an answer that comes too late is refused too: ``answerCallbackQuery`` then
fails with "query is too old and response timeout expired or query ID is invalid". Only the popup
is lost; what the handler does next (its reply, a fresh keypad, a replayed result) must still
happen, so that call returns False instead of raising (``CallbackQuery.answer()`` is True when the
popup was shown).
"""
from __future__ import annotations

import logging
import re
from typing import Any

from telegram.error import BadRequest
from telegram.ext import AIORateLimiter

log = logging.getLogger("bot.rate_limit")

_ANSWER_GONE = re.compile(r"query is too old|query id is invalid", re.IGNORECASE)


class WalletRateLimiter(AIORateLimiter):
    async def process_request(self, callback, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: int | None):
        try:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        except BadRequest as err:
            if endpoint != "answerCallbackQuery" or not _ANSWER_GONE.search(err.message):
                raise
            log.info("callback query %s not answered: answered before (a re-delivered update) or too old",
                     data.get("callback_query_id"))
            return False
