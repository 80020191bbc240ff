"""The audit log: who did what to which record, with the detail needed to explain or undo it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm.model import AuditEntry, Member
from crm.ports import UnitOfWork


async def record(
    uow: UnitOfWork,
    actor: Member,
    action: str,
    target: tuple[str, int | None],
    detail: dict[str, Any],
    at: datetime,
) -> AuditEntry:
    """Adds an entry in the caller's unit of work; `target` is (type, id), e.g. ("customer", 7)."""
    return await record_for(uow, actor.team_id, actor.id, action, target, detail, at)


async def record_for(
    uow: UnitOfWork,
    team_id: int,
    actor_id: int | None,
    action: str,
    target: tuple[str, int | None],
    detail: dict[str, Any],
    at: datetime,
) -> AuditEntry:
    """The same for an action with no member behind it (`chatcrm stages load` on the server)."""
    target_type, target_id = target
    return await uow.audit.add(
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
