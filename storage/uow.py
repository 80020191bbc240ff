"""The unit of work: one connection, one transaction, every repository bound to it."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from types import TracebackType

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from crm.errors import StorageConflict, StorageError
from crm.events import Event, LeadRouted, ReminderScheduled, Subscriber
from crm.model import ReminderStatus
from storage import data_health as h
from storage import deals as d
from storage import history as hq
from storage import jobs as j
from storage import leads as lr
from storage import repositories as r
from storage import sheets as s
from storage.db import READ_ONLY

logger = logging.getLogger(__name__)

# How long a SQLite writer waits for another process's write lock before the unit of work fails.
SQLITE_LOCK_WAIT_SECONDS = 10.0


class SqlUnitOfWork:
    """`async with uow: ...; await uow.commit()` — leaving without commit rolls back.

    SQLAlchemy and driver errors leave as crm.errors.StorageError (StorageConflict for a broken
    uniqueness rule), so that services can react without knowing SQLAlchemy. After a commit, what it
    wrote that others care about (crm.events) goes to the factory's subscribers.
    """

    teams: r.TeamRepository
    members: r.MemberRepository
    identities: r.IdentityRepository
    invites: r.InviteRepository
    customers: r.CustomerRepository
    contacts: r.ContactRepository
    deals: r.DealRepository
    interactions: r.InteractionRepository
    commitments: r.CommitmentRepository
    reminders: r.ReminderRepository
    audit: r.AuditRepository
    journal: r.JournalRepository
    merges: r.MergeRepository
    duplicates: r.DuplicateRepository
    processed: r.ProcessedKeys
    files: r.FileRepository
    evidence: d.DealEvidenceRepository
    stage_changes: d.StageChangeRepository
    digests: d.DigestDeliveryRepository
    deal_queries: d.DealQueries
    link_codes: r.LinkCodeRepository
    imports: s.ImportRunRepository
    exports: s.ExportQueries
    jobs: j.JobRepository
    expiring_keys: j.ExpiringKeyRepository
    menus: j.MenuRepository
    claims: r.ClaimRepository
    ownership: r.OwnershipRepository
    leads: lr.LeadRepository
    history: hq.HistoryQueries
    data_health: h.DataHealthQueries
    nudges: h.NudgeDeliveryRepository

    def __init__(
        self,
        engine: AsyncEngine,
        write_lock: asyncio.Lock | None,
        *,
        read_only: bool = False,
        publish: Subscriber | None = None,
    ) -> None:
        self._engine = engine
        self._publish = publish
        self._write_lock = None if read_only else write_lock
        self._read_only = read_only
        self._conn: AsyncConnection | None = None
        self._holds_lock = False

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._write_lock is not None:
            await self._write_lock.acquire()
            self._holds_lock = True
        try:
            conn = await self._connect_and_begin()
        except SQLAlchemyError as exc:
            self._release()
            raise StorageError(str(exc)) from exc
        except BaseException:
            self._release()
            raise
        self._conn = conn
        self.teams = r.TeamRepository(conn)
        self.members = r.MemberRepository(conn)
        self.identities = r.IdentityRepository(conn)
        self.invites = r.InviteRepository(conn)
        self.customers = r.CustomerRepository(conn)
        self.contacts = r.ContactRepository(conn)
        self.deals = r.DealRepository(conn)
        self.interactions = r.InteractionRepository(conn)
        self.commitments = r.CommitmentRepository(conn)
        self.reminders = r.ReminderRepository(conn)
        self.audit = r.AuditRepository(conn)
        self.journal = r.JournalRepository(conn)
        self.merges = r.MergeRepository(conn)
        self.duplicates = r.DuplicateRepository(conn)
        self.processed = r.ProcessedKeys(conn)
        self.files = r.FileRepository(conn)
        self.evidence = d.DealEvidenceRepository(conn)
        self.stage_changes = d.StageChangeRepository(conn)
        self.digests = d.DigestDeliveryRepository(conn)
        self.deal_queries = d.DealQueries(conn)
        self.link_codes = r.LinkCodeRepository(conn)
        self.imports = s.ImportRunRepository(conn)
        self.exports = s.ExportQueries(conn)
        self.jobs = j.JobRepository(conn)
        self.expiring_keys = j.ExpiringKeyRepository(conn)
        self.menus = j.MenuRepository(conn)
        self.claims = r.ClaimRepository(conn)
        self.ownership = r.OwnershipRepository(conn)
        self.leads = lr.LeadRepository(conn)
        self.history = hq.HistoryQueries(conn)
        self.data_health = h.DataHealthQueries(conn)
        self.nudges = h.NudgeDeliveryRepository(conn)
        return self

    async def _connect_and_begin(self) -> AsyncConnection:
        """A connection in a transaction. On SQLite a writer's BEGIN IMMEDIATE fails at once (after
        the short busy timeout) while another process holds the write lock; wait for it here, with
        asyncio.sleep, instead of inside SQLite on the event loop's thread."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SQLITE_LOCK_WAIT_SECONDS
        pause = 0.005
        while True:
            conn = await self._engine.connect()
            try:
                if self._read_only:
                    await conn.execution_options(**{READ_ONLY: True})
                await conn.begin()
            except OperationalError as exc:
                await conn.close()
                if not _locked(exc) or loop.time() >= deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.1)
                continue
            except BaseException:
                await conn.close()
                raise
            return conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        self._conn = None
        try:
            if conn is not None:
                try:
                    if conn.in_transaction():
                        await conn.rollback()
                finally:
                    await conn.close()
        except SQLAlchemyError:
            logger.exception("rollback failed")
        finally:
            self._release()
        if isinstance(exc, SQLAlchemyError):
            raise _translate(exc) from exc

    async def commit(self) -> None:
        if self._conn is None:
            raise RuntimeError("commit outside the unit of work")
        try:
            await self._conn.commit()
        except SQLAlchemyError as exc:
            raise _translate(exc) from exc
        events = self.collect_new_events()
        if events and self._publish is not None:
            self._publish(events)

    def collect_new_events(self) -> list[Event]:
        """What this unit of work wrote since its last commit that others care about: the pending
        reminders (the scheduler may have to look earlier) and leads with a notice to send."""
        seen, self.reminders.seen = self.reminders.seen, []
        events: list[Event] = [
            ReminderScheduled(r.id, r.due_at) for r in seen if r.status is ReminderStatus.PENDING
        ]
        leads, self.leads.seen = self.leads.seen, []
        events += [LeadRouted(lead.id) for lead in {x.id: x for x in leads}.values() if lead.notify]
        return events

    def _release(self) -> None:
        if self._holds_lock and self._write_lock is not None:
            self._holds_lock = False
            self._write_lock.release()


def _locked(exc: OperationalError) -> bool:
    """SQLITE_BUSY: another connection holds the lock ("database is locked")."""
    return getattr(exc.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "database is locked" in str(
        exc
    )


def _translate(exc: SQLAlchemyError) -> StorageError:
    if isinstance(exc, IntegrityError):
        return StorageConflict(str(exc.orig) if exc.orig else str(exc))
    return StorageError(str(exc))


class SqlUnitOfWorkFactory:
    """Makes units of work on one engine. On SQLite, writers in this process queue on an asyncio
    lock (SQLite has one writer at a time; waiting here is cheaper than its busy-retry loop)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._subscribers: list[Subscriber] = []

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        """A unit of work; `read_only` ones skip the SQLite write lock (and must not write)."""
        return SqlUnitOfWork(self.engine, self._write_lock, read_only=read_only, publish=self._published)

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def _published(self, events: Sequence[Event]) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(events)
            except Exception:
                # The commit stands; a subscriber that fails must not make the caller think otherwise.
                logger.exception("a subscriber of committed events failed")
