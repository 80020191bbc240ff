"""Messages the assistant starts itself (reminders, digests, pings, minutes after a restart): routed to
the sender of the channel an identity belongs to, and delivered on the member's first channel that
takes them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from chat.ports import Notifier
from chat.views import Reply
from crm.errors import DeliveryFailed
from crm.model import Channel, Identity

logger = logging.getLogger(__name__)

# Whether a member may still be reached, read fresh before each message: MemberService.is_active.
Reachable = Callable[[int], Awaitable[bool]]


class ChannelNotifier:
    """chat.ports.Notifier over one sender per channel; senders are added as channels start.

    With `reachable` set, nothing goes to a member whose access was taken away, even when the message
    was prepared before (a reminder claimed, a digest composed, a voice note transcribed): reminders,
    digests, pings and minutes all pass here, so this is the one check they need.
    """

    def __init__(self, reachable: Reachable | None = None) -> None:
        self._senders: dict[Channel, Notifier] = {}
        self.reachable = reachable

    def register(self, channel: Channel, sender: Notifier) -> None:
        self._senders[channel] = sender

    def channels(self) -> set[Channel]:
        return set(self._senders)

    async def send(self, identity: Identity, reply: Reply) -> None:
        sender = self._senders.get(identity.channel)
        if sender is None:
            raise DeliveryFailed(f"no {identity.channel.value} channel running")
        if self.reachable is not None and not await self.reachable(identity.member_id):
            raise DeliveryFailed(f"member {identity.member_id} is deactivated")
        await sender.send(identity, reply)


async def deliver(
    notifier: Notifier | None, identities: Iterable[Identity], reply: Reply, *, what: str
) -> Identity | None:
    """Sends `reply` on the first of `identities` whose channel takes it; that identity, or None when
    none did. `what` names the message in the log ("reminder 12"). A channel that refuses is logged
    and the next one tried; so is a sender that fails unexpectedly, with its traceback."""
    if notifier is None:
        return None
    for identity in identities:
        try:
            await notifier.send(identity, reply)
        except DeliveryFailed as exc:
            logger.info("%s not delivered on %s: %s", what, identity.channel.value, exc)
        except Exception:
            logger.exception("%s: %s sender failed", what, identity.channel.value)
        else:
            logger.debug("%s delivered on %s", what, identity.channel.value)
            return identity
    return None
