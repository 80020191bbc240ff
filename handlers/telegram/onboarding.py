"""Anything from someone who is not a member: the onboarding text, and nothing stored."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from chat.app import App
from crm.inputs import Newcomer
from handlers.telegram import render


async def unknown_message(message: Message, app: App, who: Newcomer) -> None:
    await render.answer(message, app.unknown(who.language_code))


async def unknown_button(query: CallbackQuery, app: App, who: Newcomer) -> None:
    await query.answer(app.unknown(who.language_code).text[:190], show_alert=True)


def router() -> Router:
    r = Router(name=__name__)
    r.message.register(unknown_message)
    r.callback_query.register(unknown_button)
    return r
