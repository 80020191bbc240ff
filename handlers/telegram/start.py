"""/start, with or without an invite code from a deep link (t.me/bot?start=CODE)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from crm.app import App
from crm.members import Newcomer
from handlers.telegram import render


async def start(message: Message, command: CommandObject, app: App, who: Newcomer) -> None:
    await render.answer(message, await app.start(who, command.args))


def router() -> Router:
    r = Router(name=__name__)
    r.message.register(start, CommandStart())
    return r
