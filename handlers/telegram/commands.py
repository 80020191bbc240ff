"""Member commands: /help /find /customer /undo /lang /invite /cancel."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from crm.app import App
from crm.model import Member
from handlers.telegram import render
from handlers.telegram.common import IsMember

router = Router(name=__name__)
router.message.filter(IsMember())


@router.message(Command("help"))
async def help_(message: Message, app: App, actor: Member) -> None:
    await render.answer(message, app.help(actor))


@router.message(Command("find"))
async def find(message: Message, command: CommandObject, app: App, actor: Member) -> None:
    await render.answer(message, await app.find(actor, command.args or ""))


@router.message(Command("customer"))
async def customer(message: Message, command: CommandObject, app: App, actor: Member) -> None:
    await render.answer(message, await app.customer(actor, command.args or ""))


@router.message(Command("undo"))
async def undo(message: Message, app: App, actor: Member) -> None:
    await render.answer(message, await app.undo(actor))


@router.message(Command("lang"))
async def lang(message: Message, command: CommandObject, app: App, actor: Member) -> None:
    await render.answer(message, await app.set_lang(actor, command.args or ""))


@router.message(Command("invite"))
async def invite(message: Message, command: CommandObject, app: App, actor: Member, bot: Bot) -> None:
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={{code}}"
    await render.answer(message, await app.invite(actor, command.args or "rep", link))


@router.message(Command("cancel"))
async def cancel(message: Message, app: App, actor: Member) -> None:
    await render.answer(message, await app.cancel(actor))


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message, app: App, actor: Member) -> None:
    name = (message.text or "/").split()[0][1:].split("@")[0]
    await render.answer(message, app.unknown_command(actor, name))
