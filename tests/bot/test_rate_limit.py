"""bot/rate_limit.py: a callback query that can no longer be answered (answered before: a
re-delivered update; or too old) makes answerCallbackQuery return False; every other refusal
still raises."""
from __future__ import annotations

import pytest
from telegram.error import BadRequest

from bot.rate_limit import WalletRateLimiter

GONE = "Query is too old and response timeout expired or query id is invalid"


def refusing(message: str):
    async def callback(*args, **kwargs):
        raise BadRequest(message)
    return callback


async def call(limiter: WalletRateLimiter, endpoint: str, message: str):
    return await limiter.process_request(refusing(message), (endpoint, {}), {}, endpoint,
                                         {"callback_query_id": "42", "chat_id": 1}, None)


async def test_an_answer_to_a_query_answered_before_is_false_and_the_rest_raises():
    limiter = WalletRateLimiter(max_retries=0)
    await limiter.initialize()
    try:
        assert await call(limiter, "answerCallbackQuery", GONE) is False
        with pytest.raises(BadRequest, match="MESSAGE_TOO_LONG"):
            await call(limiter, "answerCallbackQuery", "MESSAGE_TOO_LONG")
        with pytest.raises(BadRequest, match="too old"):
            await call(limiter, "sendMessage", GONE)
    finally:
        await limiter.shutdown()
