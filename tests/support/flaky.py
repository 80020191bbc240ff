"""A database that goes down when told to, for what must survive it (the inbox, voice notes)."""

from __future__ import annotations

from crm.errors import StorageError
from crm.events import Subscriber
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory


class FlakyDatabase:
    """The unit-of-work factory of a database that goes down when told to."""

    def __init__(self, inner: SqlUnitOfWorkFactory) -> None:
        self.inner = inner
        self.down = False

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        if self.down:
            raise StorageError("database is locked")
        return self.inner(read_only=read_only)

    def subscribe(self, subscriber: Subscriber) -> None:
        self.inner.subscribe(subscriber)
