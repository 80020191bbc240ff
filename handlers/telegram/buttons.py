"""Inline buttons: one handler for every action, decided by the application."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from chat.app import App
from crm.model import Member
from handlers.telegram import render
from handlers.telegram.callbacks import ButtonCB
from handlers.telegram.common import IsMember


async def pressed(query: CallbackQuery, callback_data: ButtonCB, app: App, actor: Member) -> None:
    reply = await app.press(actor, callback_data.act, callback_data.target, callback_data.arg)
    await render.answer_callback(query, reply)


def router() -> Router:
    r = Router(name=__name__)
    r.callback_query.filter(IsMember())
    r.callback_query.register(pressed, ButtonCB.filter())
    return r
