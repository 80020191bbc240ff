"""The database as the rest of the program sees it: a unit-of-work factory and a way to close it."""

from __future__ import annotations

from storage.db import create_engine
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWorkFactory


class Database:
    """One engine for the process. `uow()` opens a unit of work (crm.ports.UnitOfWorkFactory)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.uow = SqlUnitOfWorkFactory(self.engine)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    async def migrate(self) -> None:
        await upgrade(self.url)

    async def close(self) -> None:
        await self.engine.dispose()
