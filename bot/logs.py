"""Logging set-up: one format, level from CHATCRM_LOG_LEVEL, chatty libraries turned down."""

from __future__ import annotations

import logging


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiogram logs every handled update at INFO; httpx/aiohttp log request lines with URLs that
    # contain the bot token.
    for noisy in ("aiogram.event", "aiohttp.access", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Alembic announces each of its autogenerate plugins at INFO on every start; nobody needs that
    # unless debugging.
    if logging.getLevelName(level) != logging.DEBUG:
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
