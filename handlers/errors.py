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


async def guarded(app: App, lang: Lang, call: Awaitable[Reply], *, retry: bool = False) -> Reply:
    """The call's reply, a domain error's own text, or an apology for anything else. With `retry`
    (a durable inbox will try the message again) anything else is raised instead of apologised for."""
    try:
        return await call
    except ChatCrmError as exc:
        return app.error(lang, exc)
    except Exception:
        if retry:
            raise
        logger.exception("handler failed")
        return app.generic_error(lang)
