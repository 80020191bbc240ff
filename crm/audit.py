"""The audit log: who did what to which record, with the detail needed to explain it, and the field
journal (crm.journal) of what the action changed, stored with its entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm.journal import Journal
from crm.model import AuditEntry, Member
from crm.ports import UnitOfWork


async def record(
    uow: UnitOfWork,
    actor: Member,
    action: str,
    target: tuple[str, int | None],
    detail: dict[str, Any],
    at: datetime,
    journal: Journal | None = None,
) -> AuditEntry:
    """Adds an entry in the caller's unit of work; `target` is (type, id), e.g. ("customer", 7). The
    journal's changes, as they stand now, are stored with it."""
    return await record_for(uow, actor.team_id, actor.id, action, target, detail, at, journal)


async def record_for(
    uow: UnitOfWork,
    team_id: int,
    actor_id: int | None,
    action: str,
    target: tuple[str, int | None],
    detail: dict[str, Any],
    at: datetime,
    journal: Journal | None = None,
) -> AuditEntry:
    """The same for an action with no member behind it (`chatcrm stages load` on the server)."""
    target_type, target_id = target
    entry = await uow.audit.add(
        AuditEntry(
            id=0,
            team_id=team_id,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
            created_at=at,
        )
    )
    if journal is not None:
        await uow.journal.add(team_id, entry.id, journal.changes())
    return entry
