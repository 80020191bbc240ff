"""Errors: domain errors answer with their own text; anything else is logged with its traceback and
answered politely. (aiogram's examples/error_handling.py)"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from chat.app import App
from chat.views import Reply
from crm.errors import ChatCrmError
from crm.model import Lang, Member
from handlers.telegram import render

logger = logging.getLogger(__name__)


async def _reply(event: ErrorEvent, reply: Reply) -> None:
    update = event.update
    if update.callback_query is not None:
        await render.answer_callback(update.callback_query, reply)
    elif update.message is not None:
        await render.answer(update.message, reply)


def _lang(actor: Member | None, event: ErrorEvent) -> Lang:
    if actor is not None:
        return actor.lang
    user = event.update.event.from_user if hasattr(event.update.event, "from_user") else None
    return Lang.from_code(user.language_code if user else None)


async def domain_error(event: ErrorEvent, app: App, actor: Member | None = None) -> None:
    assert isinstance(event.exception, ChatCrmError)
    await _reply(event, app.error(_lang(actor, event), event.exception))


async def unexpected_error(event: ErrorEvent, app: App, actor: Member | None = None) -> None:
    logger.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    try:
        await _reply(event, app.generic_error(_lang(actor, event)))
    except Exception:
        logger.exception("could not tell the user about the failure")


def router() -> Router:
    r = Router(name=__name__)
    r.error.register(domain_error, ExceptionTypeFilter(ChatCrmError))
    r.error.register(unexpected_error)
    return r
