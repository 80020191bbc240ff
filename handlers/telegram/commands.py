"""Member commands: /help /find /customer /undo /lang /invite /cancel."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from crm.app import App
from crm.model import Member
from handlers.telegram import render
from handlers.telegram.common import IsMember


async def help_(message: Message, app: App, actor: Member) -> None:
    await render.answer(message, app.help(actor))


async def find(message: Message, command: CommandObject, app: App, actor: Member) -> None:
    await render.answer(message, await app.find(actor, command.args or ""))


async def customer(message: Message, command: CommandObject, app: App, actor: Member) -> None:
    await render.answer(message, await app.customer(actor, command.args or ""))


async def undo(message: Message, app: App, actor: Member) -> None:
    await render.answer(message, await app.undo(actor))


async def lang(message: Message, command: CommandObject, app: App, actor: Member) -> None:
    await render.answer(message, await app.set_lang(actor, command.args or ""))


async def invite(message: Message, command: CommandObject, app: App, actor: Member, bot: Bot) -> None:
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={{code}}"
    await render.answer(message, await app.invite(actor, command.args or "rep", link))


async def cancel(message: Message, app: App, actor: Member) -> None:
    await render.answer(message, await app.cancel(actor))


async def unknown_command(message: Message, app: App, actor: Member) -> None:
    name = (message.text or "/").split()[0][1:].split("@")[0]
    await render.answer(message, app.unknown_command(actor, name))


def router() -> Router:
    r = Router(name=__name__)
    r.message.filter(IsMember())
    r.message.register(help_, Command("help"))
    r.message.register(find, Command("find"))
    r.message.register(customer, Command("customer"))
    r.message.register(undo, Command("undo"))
    r.message.register(lang, Command("lang"))
    r.message.register(invite, Command("invite"))
    r.message.register(cancel, Command("cancel"))
    r.message.register(unknown_command, F.text.startswith("/"))
    return r
