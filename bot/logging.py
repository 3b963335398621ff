"""Logging for the bot: one format, and the HTTP client libraries kept at WARNING.

httpx logs every request URL at INFO, and a Bot API URL contains the bot token: keeping
httpx/httpcore at WARNING is what keeps the token out of the logs (DESIGN §4). As a second
guard, a filter masks anything that looks like a bot token in every record.
"""
from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
QUIET = ("httpx", "httpcore", "apscheduler", "aiohttp.access", "alembic.runtime.plugins")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub("<token>", message)
            record.args = None
        return True


def setup_logging(level: str | int = "INFO") -> None:
    root = logging.getLogger()
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            level = logging.INFO
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactTokens())
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
