"""/start, with or without an invite code from a deep link (t.me/bot?start=CODE); /link CODE from
someone who already uses chatcrm on another channel (WeChat, WeCom)."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart, Filter
from aiogram.types import Message

from chat.app import App
from crm.inputs import Newcomer
from crm.model import Member
from handlers.telegram import render


class IsNewcomer(Filter):
    """Passes updates from people who are not members yet (members' /link is an app command)."""

    async def __call__(self, event: Any, actor: Member | None = None) -> bool:
        return actor is None


async def start(message: Message, command: CommandObject, app: App, who: Newcomer) -> None:
    await render.answer(message, await app.start(who, command.args))


async def link(message: Message, command: CommandObject, app: App, who: Newcomer) -> None:
    await render.answer(message, await app.redeem_link(who, command.args or ""))


def router() -> Router:
    r = Router(name=__name__)
    r.message.register(start, CommandStart())
    r.message.register(link, Command("link"), IsNewcomer())
    return r
