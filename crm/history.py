"""A record's history: its audit trail, newest first, operation by operation, each with who did it,
when, what it came from (a capture and its kind, an import and its file) and which fields it changed
from what to what, as the field journal (crm.journal) recorded them. Merges show with the record they
merged and whether they were undone since; an undo shows like any change.

A customer's history is that of its family: the customer, the contacts and deals that belong to it
now (in any state, archived ones too), and the operations on its interactions (captures, corrections,
undos). `/history` shows it page by page; `chatcrm audit` lists any team's operations for operators.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm.errors import NotFound
from crm.model import AuditEntry, Customer, FieldChange, Member, Merge, Source
from crm.ports import UnitOfWork, UnitOfWorkFactory
from crm.records import visible_customer
from crm.stages import Funnel, team_funnel
from crm.text import one_line

PAGE = 6
SEARCH_LIMIT = 10
AUDIT_LIMIT = 1000
RECORD_KINDS = ("customer", "contact", "deal", "interaction")
# Actions whose target interaction is a capture: what the history names as where a change came from.
_CAPTURES = ("capture", "capture.relinked", "capture.colleague")
_EXCERPT = 40
# "#C12": a customer by id (a bare number may be a name: 360 is a company).
_CUSTOMER_TAG = re.compile(r"#[Cc]?(\d{1,12})")

Key = tuple[str, int]


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A record as operators name it: "customer:12"."""

    kind: str
    id: int

    @classmethod
    def parse(cls, text: str) -> RecordRef:
        kind, _, number = text.strip().partition(":")
        if kind not in RECORD_KINDS or not number.isdigit():
            raise ValueError(
                f"not a record: {text!r} (expected one of {', '.join(RECORD_KINDS)}, e.g. customer:12)"
            )
        return cls(kind, int(number))

    @property
    def key(self) -> Key:
        return (self.kind, self.id)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an operation's changes came from: a capture (its interaction, its kind and first words)
    or an import (its file and row, when the import said)."""

    kind: str  # "capture" | "import"
    source: Source | None = None
    interaction_id: int | None = None
    excerpt: str | None = None
    file: str | None = None
    row: int | None = None


@dataclass(slots=True)
class Operation:
    """One audited operation: its entry, who did it, what it changed on the records shown (in the
    order it made the changes), how many other records it changed by kind (a merge moving
    interactions), where it came from, and for a merge the merge itself."""

    entry: AuditEntry
    actor: Member | None
    changes: list[FieldChange] = field(default_factory=list)
    others: dict[str, int] = field(default_factory=dict)
    origin: Origin | None = None
    merge: Merge | None = None

    @property
    def at(self) -> datetime:
        return self.entry.created_at

    def as_dict(self) -> dict[str, Any]:
        entry = self.entry
        return {
            "id": entry.id,
            "at": entry.created_at.isoformat(),
            "actor_id": entry.actor_id,
            "actor": self.actor.name if self.actor else None,
            "action": entry.action,
            "target": f"{entry.target_type}:{entry.target_id}"
            if entry.target_id is not None
            else entry.target_type,
            "origin": _origin_dict(self.origin),
            "merge": _merge_dict(self.merge),
            "detail": entry.detail,
            "changes": [
                {
                    "record": f"{c.record_type}:{c.record_id}",
                    "field": c.field,
                    "created": c.field is None,
                    "before": c.before,
                    "after": c.after,
                }
                for c in self.changes
            ],
            "others": self.others,
        }


def _merge_dict(merge: Merge | None) -> dict[str, Any] | None:
    if merge is None:
        return None
    undone = merge.undone_at.isoformat() if merge.undone_at else None
    return {"id": merge.id, "kind": merge.kind, "merged": merge.merged_id, "undone_at": undone}


def _origin_dict(origin: Origin | None) -> dict[str, Any] | None:
    if origin is None:
        return None
    found: dict[str, Any] = {"kind": origin.kind}
    if origin.source is not None:
        found["source"] = origin.source.value
    if origin.interaction_id is not None:
        found["interaction"] = origin.interaction_id
    if origin.file is not None:
        found["file"] = origin.file
    if origin.row is not None:
        found["row"] = origin.row
    return found


@dataclass(slots=True)
class HistoryPage:
    """One page of a customer's history, newest first. `older` and `newer` are the cursors of the
    pages beside it (None at either end); `labels` names the records its changes mention, and
    `members` the members (an owner changed hands)."""

    customer: Customer
    funnel: Funnel
    operations: list[Operation]
    labels: dict[Key, str | None]
    members: dict[int, str]
    older: int | None
    newer: int | None


class HistoryService:
    """Reads audit trails: a customer's history for its members, any team's operations for operators."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def find(self, actor: Member, text: str) -> Customer | list[Customer]:
        """The customer `text` names (an id, or a name as /customer takes it), or the candidates."""
        query = one_line(text, 100)
        tagged = _CUSTOMER_TAG.fullmatch(query)
        async with self._uow(read_only=True) as uow:
            if tagged is not None:
                return await visible_customer(uow, actor, int(tagged[1]))
            owner = None if actor.role.sees_team else actor.id
            matches = await uow.customers.search(actor.team_id, owner, query, SEARCH_LIMIT)
        if not matches:
            raise NotFound("customer.not_found", query=query)
        exact = [c for c in matches if (c.name or "").lower() == query.lower()]
        if len(exact) == 1:
            return exact[0]
        return matches[0] if len(matches) == 1 else matches

    async def customer(
        self,
        actor: Member,
        customer_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int = PAGE,
    ) -> HistoryPage:
        """A page of the customer's history: the newest operations, or those just older than
        `before`, or just newer than `after` (audit entry ids)."""
        async with self._uow(read_only=True) as uow:
            customer = await visible_customer(uow, actor, customer_id)
            entries = await uow.history.operations(
                actor.team_id, customer_id=customer.id, before=before, after=after, limit=limit + 1
            )
            more = len(entries) > limit
            entries = entries[:limit] if after is None else entries[-limit:]
            family = await uow.history.family(customer.id)
            members = {m.id: m for m in await uow.members.in_team(actor.team_id)}
            operations = await _operations(uow, entries, members, family)
            labels = await _labels(uow, operations)
            team = await uow.teams.get(actor.team_id)
        if not entries:
            older = newer = None
        else:
            newest, oldest = entries[0].id, entries[-1].id
            older = oldest if (more if after is None else True) else None
            newer = newest if (before is not None if after is None else more) else None
        return HistoryPage(
            customer=customer,
            funnel=team_funnel(team.settings if team else {}),
            operations=operations,
            labels=labels,
            members={m.id: m.name for m in members.values()},
            older=older,
            newer=newer,
        )

    async def audit(
        self,
        team_id: int,
        *,
        record: RecordRef | None = None,
        member_id: int | None = None,
        since: datetime | None = None,
        limit: int = AUDIT_LIMIT,
    ) -> list[Operation]:
        """A team's operations, newest first, for operators: all of them, or those on one record (a
        customer with its family), by one member, from a moment on."""
        async with self._uow(read_only=True) as uow:
            customer_id = record.id if record is not None and record.kind == "customer" else None
            single = record.key if record is not None and customer_id is None else None
            entries = await uow.history.operations(
                team_id,
                customer_id=customer_id,
                record=single,
                actor_id=member_id,
                since=since,
                limit=limit,
            )
            family: set[Key] | None = None
            if customer_id is not None:
                family = await uow.history.family(customer_id)
            elif single is not None:
                family = {single}
            members = {m.id: m for m in await uow.members.in_team(team_id)}
            return await _operations(uow, entries, members, family)


async def _operations(
    uow: UnitOfWork, entries: Sequence[AuditEntry], members: dict[int, Member], family: set[Key] | None
) -> list[Operation]:
    """The entries with their changes (those on `family` records; the others counted by kind), their
    actors, origins and merges."""
    rows = await uow.history.changes([e.id for e in entries])
    by_entry: dict[int, list[FieldChange]] = {}
    for row in rows:
        by_entry.setdefault(row.audit_id, []).append(row)
    found: list[Operation] = []
    for entry in entries:
        actor = members.get(entry.actor_id) if entry.actor_id is not None else None
        if actor is None and entry.actor_id is not None:
            actor = await uow.members.get(entry.actor_id)
            if actor is not None:
                members[actor.id] = actor
        operation = Operation(entry, actor)
        outside: set[Key] = set()
        for change in by_entry.get(entry.id, []):
            key = (change.record_type, change.record_id)
            if family is None or key in family:
                operation.changes.append(change)
            else:
                outside.add(key)
        # Records beside the ones shown, counted once each (a merge moved 3 interactions).
        for kind, _ in sorted(outside):
            operation.others[kind] = operation.others.get(kind, 0) + 1
        operation.origin = await _origin(uow, entry)
        if entry.action == "merge" and isinstance(entry.detail.get("merge"), int):
            operation.merge = await uow.merges.get(int(entry.detail["merge"]))
        found.append(operation)
    return found


def is_import(entry: AuditEntry) -> bool:
    """An operation of a spreadsheet import: its action says so, or its detail names import as its
    source."""
    return (
        entry.action == "import"
        or entry.action.startswith("import.")
        or entry.detail.get("source") == "import"
    )


async def _origin(uow: UnitOfWork, entry: AuditEntry) -> Origin | None:
    if is_import(entry):
        detail = entry.detail
        name = next((detail[k] for k in ("file", "filename", "name") if isinstance(detail.get(k), str)), None)
        row = detail.get("row")
        return Origin("import", file=name, row=row if isinstance(row, int) else None)
    if entry.target_type != "interaction" or entry.target_id is None:
        return None
    interaction = await uow.interactions.get(entry.target_id)
    if interaction is None:
        return None
    excerpt = " ".join(interaction.content.split())
    if len(excerpt) > _EXCERPT:
        excerpt = excerpt[: _EXCERPT - 1] + "…"
    kind = "capture" if entry.action in _CAPTURES or entry.action.startswith("capture") else "interaction"
    return Origin(kind, source=interaction.source, interaction_id=interaction.id, excerpt=excerpt or None)


async def _labels(uow: UnitOfWork, operations: Sequence[Operation]) -> dict[Key, str | None]:
    """Names of the records the changes touch or point at (a contact moved to customer 12; a customer
    merged into 7), looked up once each."""
    wanted: set[Key] = set()
    for operation in operations:
        for change in operation.changes:
            wanted.add((change.record_type, change.record_id))
            if change.field in ("customer_id", "merged_into"):
                kind = "customer" if change.field == "customer_id" else change.record_type
                for value in (change.before, change.after):
                    if isinstance(value, int):
                        wanted.add((kind, value))
        if operation.merge is not None:
            wanted.add((operation.merge.kind, operation.merge.merged_id))
            wanted.add((operation.merge.kind, operation.merge.survivor_id))
    labels: dict[Key, str | None] = {}
    for kind, record_id in sorted(wanted):
        labels[(kind, record_id)] = await _label(uow, kind, record_id)
    return labels


async def _label(uow: UnitOfWork, kind: str, record_id: int) -> str | None:
    if kind == "customer":
        customer = await uow.customers.get(record_id)
        return customer.name if customer else None
    if kind == "contact":
        contact = await uow.contacts.get(record_id)
        return contact.name if contact else None
    if kind == "deal":
        deal = await uow.deals.get(record_id)
        return (deal.title or None) if deal else None
    return None
