"""The one place that turns exceptions into replies: domain errors carry their text; anything else is
logged with its traceback and answered politely."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from chat.app import App
from chat.views import Reply
from crm.errors import ChatCrmError
from crm.model import Lang

logger = logging.getLogger(__name__)


async def guarded(app: App, lang: Lang, call: Awaitable[Reply]) -> Reply:
    try:
        return await call
    except ChatCrmError as exc:
        return app.error(lang, exc)
    except Exception:
        logger.exception("handler failed")
        return app.generic_error(lang)
