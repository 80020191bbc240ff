"""Messages the assistant starts itself, printed on the console."""

from __future__ import annotations

from collections.abc import Callable

from chat.views import Reply
from crm.model import Identity
from handlers.textchat import TextConversation


class ConsoleNotifier:
    """chat.ports.Notifier for the console: prints, with numbered buttons like any console reply."""

    def __init__(self, conversation: TextConversation, write: Callable[[str], None]) -> None:
        self.conversation = conversation
        self.write = write

    async def send(self, identity: Identity, reply: Reply) -> None:
        member = await self.conversation.app.members.get(identity.member_id)
        if member is None:
            return
        self.write(await self.conversation.render(member, reply))
