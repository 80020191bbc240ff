"""Anything from someone who is not a member: the onboarding text, and nothing stored."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from crm.app import App
from crm.members import Newcomer
from handlers.telegram import render

router = Router(name=__name__)


@router.message()
async def unknown_message(message: Message, app: App, who: Newcomer) -> None:
    await render.answer(message, app.unknown(who.language_code))


@router.callback_query()
async def unknown_button(query: CallbackQuery, app: App, who: Newcomer) -> None:
    await query.answer(app.unknown(who.language_code).text[:190], show_alert=True)
