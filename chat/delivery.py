"""Routes a message for a member to the sender of the channel their identity belongs to."""

from __future__ import annotations

from chat.views import Reply
from crm.errors import DeliveryFailed
from crm.model import Channel, Identity
from crm.ports import Notifier


class ChannelNotifier:
    """crm.ports.Notifier over one sender per channel; senders are added as channels start."""

    def __init__(self) -> None:
        self._senders: dict[Channel, Notifier] = {}

    def register(self, channel: Channel, sender: Notifier) -> None:
        self._senders[channel] = sender

    def channels(self) -> set[Channel]:
        return set(self._senders)

    async def send(self, identity: Identity, reply: Reply) -> None:
        sender = self._senders.get(identity.channel)
        if sender is None:
            raise DeliveryFailed(f"no {identity.channel.value} channel running")
        await sender.send(identity, reply)
