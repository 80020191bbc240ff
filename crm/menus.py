"""The numbered buttons of text-only channels (WeChat, WeCom, the console): the buttons last offered
to a member are kept in the database, so that the number typed back picks one whichever process
receives it (two processes behind one callback URL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from crm.model import Channel, MenuChoice
from crm.ports import Clock, UnitOfWorkFactory

ANSWERED_PREFIX = "menu-answered:"
# A message is handled again (the inbox's retry after a crash) within minutes; a day is ample.
ANSWERED_TTL = timedelta(days=1)


class MenuService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def offer(
        self,
        channel: Channel,
        member_id: int,
        choices: Sequence[MenuChoice] | None,
        *,
        answering: str | None = None,
    ) -> None:
        """These choices replace the ones offered before (numbered from 1, in this order); None keeps
        the menu there is. `answering`: the key of the message whose choice this answers, remembered
        in the same transaction (see `answered`)."""
        now = self._clock.now()
        async with self._uow() as uow:
            if choices is not None:
                await uow.menus.put(channel, member_id, choices, now)
            if answering is not None:
                await uow.expiring_keys.add([self._answered_key(channel, answering)], now + ANSWERED_TTL, now)
            await uow.commit()

    async def answered(self, channel: Channel, key: str) -> bool:
        """Whether the message `key` picked a choice and was answered before: handled again (the
        inbox's retry after a crash), its number must not pick from the menu its own answer offered
        (the confirmation after "import", the undo after "confirm")."""
        async with self._uow(read_only=True) as uow:
            return bool(await uow.expiring_keys.live([self._answered_key(channel, key)], self._clock.now()))

    def _answered_key(self, channel: Channel, key: str) -> str:
        return f"{ANSWERED_PREFIX}{channel.value}:{key}"

    async def pick(self, channel: Channel, member_id: int, number: int) -> MenuChoice | None:
        """The choice numbered `number` of the member's last menu, if there is one."""
        async with self._uow(read_only=True) as uow:
            choices = await uow.menus.get(channel, member_id)
        return choices[number - 1] if 0 < number <= len(choices) else None
