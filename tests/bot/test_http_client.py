"""The Bot API client (httpx over httpcore) finds the async library it runs on without a failing
import on each request: httpcore asks ``sniffio``, which the lock installs (without it, every
Bot API call retried ``import sniffio`` and fell back: 7 % of the bot's CPU, issue 23)."""
from __future__ import annotations

import sys

from httpcore._synchronization import current_async_library


async def test_httpcore_names_asyncio_through_sniffio():
    assert current_async_library() == "asyncio"
    assert "sniffio" in sys.modules  # imported once, not retried on each call
