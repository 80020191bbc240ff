"""Errors: domain errors answer with their own text; anything else is logged with its traceback and
answered politely (aiogram's examples/error_handling.py) on the inbox's last attempt at the update, and
raised before it, so that the inbox tries the update again (bot/telegram_inbox.py)."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message, Update

from chat.app import App
from chat.views import Reply
from crm.errors import ChatCrmError
from crm.model import Lang, Member
from handlers.telegram import render
from handlers.telegram.common import newcomer

logger = logging.getLogger(__name__)

# Workflow data of an update the inbox feeds: whether this is its last attempt (False: raise, retry).
INBOX_FINAL = "inbox_final"


async def _reply(update: Update, reply: Reply) -> None:
    if update.callback_query is not None:
        await render.answer_callback(update.callback_query, reply)
    elif update.message is not None:
        await render.answer(update.message, reply)


async def _lang(app: App, actor: Member | None, update: Update) -> Lang:
    """The member's own language. aiogram hands error handlers the update's data, without what the
    actor middleware added for the message, so the member is looked up again here; the sender's
    Telegram language is the fallback (a newcomer, or a database that is down)."""
    if actor is not None:
        return actor.lang
    inner = update.event
    user = getattr(inner, "from_user", None)
    if user is None:
        return Lang.from_code(None)
    chat = inner.chat if isinstance(inner, Message) else None
    try:
        member = await app.identify(newcomer(user, chat))
    except Exception:
        logger.debug("no member for the error's language", exc_info=True)
        member = None
    return member.lang if member is not None else Lang.from_code(user.language_code)


async def domain_error(event: ErrorEvent, app: App, actor: Member | None = None) -> None:
    assert isinstance(event.exception, ChatCrmError)
    await _reply(event.update, app.error(await _lang(app, actor, event.update), event.exception))


async def unexpected_error(
    event: ErrorEvent, app: App, actor: Member | None = None, inbox_final: bool = True
) -> None:
    if not inbox_final:
        raise event.exception  # the inbox logs it and tries the update again
    logger.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    try:
        await _reply(event.update, app.generic_error(await _lang(app, actor, event.update)))
    except Exception:
        logger.exception("could not tell the user about the failure")


async def unprocessed(app: App, update: Update) -> None:
    """Tells the sender that their update could not be handled (the inbox's last attempt failed)."""
    try:
        await _reply(update, app.unprocessed(await _lang(app, None, update)))
    except Exception:
        logger.exception("could not tell the user that update %s was not processed", update.update_id)


def router() -> Router:
    r = Router(name=__name__)
    r.error.register(domain_error, ExceptionTypeFilter(ChatCrmError))
    r.error.register(unexpected_error)
    return r
