"""The numbered buttons of text-only channels (WeChat, WeCom, the console): the buttons last offered
to a member are kept in the database, so that the number typed back picks one whichever process
receives it (two processes behind one callback URL)."""

from __future__ import annotations

from collections.abc import Sequence

from crm.model import Channel, MenuChoice
from crm.ports import Clock, UnitOfWorkFactory


class MenuService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def offer(self, channel: Channel, member_id: int, choices: Sequence[MenuChoice]) -> None:
        """These choices replace the ones offered before (numbered from 1, in this order)."""
        async with self._uow() as uow:
            await uow.menus.put(channel, member_id, choices, self._clock.now())
            await uow.commit()

    async def pick(self, channel: Channel, member_id: int, number: int) -> MenuChoice | None:
        """The choice numbered `number` of the member's last menu, if there is one."""
        async with self._uow(read_only=True) as uow:
            choices = await uow.menus.get(channel, member_id)
        return choices[number - 1] if 0 < number <= len(choices) else None
