"""Messages the assistant starts itself (reminders, digests) on WeChat / WeCom."""

from __future__ import annotations

from chat.views import Reply
from crm.model import Identity
from handlers.textchat import TextConversation
from handlers.wechat import render
from handlers.wechat.ports import WeChatApi


class WeChatNotifier:
    """chat.ports.Notifier for WeChat and WeCom: the reply with a numbered menu, like any reply there.

    The Official Account may only message a user within 48 hours of their last message (errcode
    45015); the API client raises DeliveryFailed then, and the sender decides whether to retry.
    """

    def __init__(self, conversation: TextConversation, api: WeChatApi) -> None:
        self.conversation = conversation
        self.api = api

    async def send(self, identity: Identity, reply: Reply) -> None:
        member = await self.conversation.app.members.get(identity.member_id)
        if member is None:
            return
        text = await self.conversation.render(member, reply)
        await render.send(self.api, identity.chat_id, text, reply.attachment)
