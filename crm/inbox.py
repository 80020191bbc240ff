"""Each channel message handled once: a channel that may deliver twice (WeChat retries a callback it
did not see answered in 5 s) claims the message's key before handling it; the claim is durable, so a
retry that reaches a restarted process is still recognised."""

from __future__ import annotations

from crm.errors import StorageConflict
from crm.ports import UnitOfWorkFactory

CLAIM_PREFIX = "in:"


class Inbox:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def claim(self, key: str) -> bool:
        """True the first time `key` is claimed, False ever after (also across restarts and processes).

        The claim key differs from the capture key the message carries into a service ("in:" prefix):
        a capture keeps its own idempotency check in its transaction.
        """
        claim = CLAIM_PREFIX + key
        try:
            async with self._uow() as uow:
                if await uow.processed.seen([claim]):
                    return False
                await uow.processed.add([claim])
                await uow.commit()
        except StorageConflict:
            return False  # another process claimed it between our read and our commit
        return True
