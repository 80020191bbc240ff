"""Members' slash commands. /invite needs the bot's own name for the deep link; every other command
is the application's (the same on every channel)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from chat.app import App
from crm.model import Member
from handlers.telegram import render
from handlers.telegram.common import IsMember


async def invite(message: Message, command: CommandObject, app: App, actor: Member, bot: Bot) -> None:
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={{code}}"
    await render.answer(message, await app.invite(actor, command.args or "rep", link))


async def any_command(message: Message, app: App, actor: Member) -> None:
    head, _, args = (message.text or "/").partition(" ")
    name = head[1:].split("@", 1)[0]
    await render.answer(message, await app.command(actor, name, args.strip()))


def router() -> Router:
    r = Router(name=__name__)
    r.message.filter(IsMember())
    r.message.register(invite, Command("invite"))
    r.message.register(any_command, F.text.startswith("/"))
    return r
