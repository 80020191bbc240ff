"""Forwarded messages and typed text become captures. Telegram sends a forwarded conversation as one
update per message; the burst collector turns the burst into one conversation."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import (
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)

from chat.app import App
from chat.views import Reply
from crm.inputs import ChatMessage
from crm.model import Member
from handlers.telegram import render
from handlers.telegram.burst import BurstCollector
from handlers.telegram.common import IsMember


def _key(message: Message) -> str:
    return f"tg:{message.chat.id}:{message.message_id}"


def unpack_forward(message: Message) -> ChatMessage:
    """A forwarded message with its original sender's name; the rep's own as from_self."""
    origin = message.forward_origin
    sender: str | None = None
    from_self = False
    if isinstance(origin, MessageOriginUser):
        sender = origin.sender_user.full_name
        from_self = message.from_user is not None and origin.sender_user.id == message.from_user.id
    elif isinstance(origin, MessageOriginHiddenUser):
        sender = origin.sender_user_name
    elif isinstance(origin, MessageOriginChat):
        sender = origin.sender_chat.title
    elif isinstance(origin, MessageOriginChannel):
        sender = origin.chat.title
    return ChatMessage(
        text=message.text or message.caption or "",
        sender=sender,
        from_self=from_self,
        key=_key(message),
        order=message.message_id,
    )


async def forwarded(message: Message, app: App, actor: Member, bursts: BurstCollector[ChatMessage]) -> None:
    async with bursts.collect(actor.id, unpack_forward(message)) as batch:
        if batch is not None:
            await render.answer(message, await app.chat(actor, batch))


async def typed(message: Message, app: App, actor: Member, bursts: BurstCollector[ChatMessage]) -> None:
    item = ChatMessage(text=message.text or "", key=_key(message), order=message.message_id)
    # A comment typed right after forwarding ("这是华为的张总") belongs to the forwarded conversation.
    if await bursts.join_if_open(actor.id, item):
        return
    await render.answer(message, await app.text(actor, item.text, item.key))


async def unsupported(message: Message, app: App, actor: Member) -> None:
    reply: Reply = app.unsupported(actor)
    await render.answer(message, reply)


def router() -> Router:
    r = Router(name=__name__)
    r.message.filter(IsMember())
    r.message.register(forwarded, F.forward_origin, F.text | F.caption, flags={"chat_action": "typing"})
    r.message.register(typed, F.text, flags={"chat_action": "typing"})
    r.message.register(unsupported)
    return r
