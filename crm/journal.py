"""The field journal: what each operation changed, field by field, and the one undo that takes back only
what is still as that operation left it.

Recording. An operation (a capture, a merge, an edit, a stage change, an import) makes a `Journal`,
calls `track(record)` before it changes a record and `created(record)` after it adds one, and hands the
journal to `crm.audit.record`. That stores the operation's audit entry (who, when, which action, on
what target: a capture's interaction, a deal, an import) and, in the same unit of work, one row per
change in the `field_journal` table:

    record_type   "customer" | "contact" | "deal" | "interaction" | "commitment"
    record_id     the record's id
    field         a field of the record's dataclass in crm.model; NULL when the operation created the
                  record (then `before` and `after` are NULL too: the record itself is its first state)
    before        the field's value before the operation, as JSON: enums by value, datetimes in ISO 8601
                  UTC, dates and times in ISO 8601, a region as {"province", "city", "district"}, lists as
                  lists, None as null
    after         the value the operation left, in the same form
    audit_id      the operation's audit entry

`id`, `created_at` and `updated_at` are bookkeeping and never journaled. Fields that only make sense
together are journaled together when one of them changes, the unchanged ones with before = after (see
`GROUPS`: a budget and its lower bound; a timeline and its date; a deal's stage and when it was entered;
a deal's status, close time and loss reason).

A record's history is `uow.journal.for_record(type, id)`: every change with its audit entry, oldest
first (who changed which field from what to what, and which capture, import or merge it came from; an
undo is an operation with its own rows, so it shows like any change).

Undoing. `undo(uow, changes, ...)` walks one operation's rows, newest first:
- a field still equal to what the operation wrote goes back to what it was before; a field already
  back where it was is left alone; a field that someone changed since keeps its later value, and
  `Undone.kept` says which (with what the operation wrote and what it is now);
- a list field (phones, e-mails, needs) is undone item by item: what the operation added goes, what it
  removed comes back, what anyone added since stays, so there is nothing to keep;
- a group of fields is reverted only if no field of it changed since; otherwise all of it is kept;
- a record the operation created is archived (a capture's interaction is marked undone by its caller),
  never deleted, unless later work hangs on it: another live interaction refers to it, a customer has
  contacts or deals the operation did not create, a deal changed stage or has evidence, or another
  member changed it since. A customer and the deal created with it stay or go together, and a kept
  contact or deal keeps the customer it belongs to. What stays is listed in `Undone.kept`
  (with `field` None).
The undo's own changes come back as a `Journal` for the caller to record with its audit entry.

Journals of the whole-record kind (written before this module: snapshots under "created"/"before" in a
capture's audit detail, or under "customers"/"contacts"/... in a merge's detail) are read by
`legacy_changes`. A snapshot tells each field's value before the operation, not what the operation
wrote, so those fields are never overwritten: where they differ from the snapshot they are kept and
listed. Only a merge's links (what moved to the survivor, and what was marked merged into it) are known
exactly, and are undone.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm import snapshot
from crm.model import (
    AuditEntry,
    Commitment,
    Contact,
    Customer,
    Deal,
    EvidenceStatus,
    FieldChange,
    Interaction,
    Merge,
)
from crm.ports import Normalizer, UnitOfWork
from crm.records import contact_keys

logger = logging.getLogger(__name__)

Record = Customer | Contact | Deal | Interaction | Commitment
Key = tuple[str, int]

RECORD_TYPES: dict[str, type[Any]] = {
    "customer": Customer,
    "contact": Contact,
    "deal": Deal,
    "interaction": Interaction,
    "commitment": Commitment,
}
_NAMES: dict[type[Any], str] = {cls: name for name, cls in RECORD_TYPES.items()}
BOOKKEEPING = frozenset({"id", "created_at", "updated_at"})
GROUPS: dict[str, tuple[frozenset[str], ...]] = {
    "customer": (frozenset({"budget_cny", "budget_min_cny"}), frozenset({"timeline", "timeline_by"})),
    "deal": (
        frozenset({"stage", "stage_entered_at"}),
        frozenset({"status", "closed_at", "lost_reason"}),
    ),
}
# What a capture put on records: the capture itself, and a voice note moved to another customer (which
# first takes back, as "capture.unlinked", what it had put on the previous one). The latest entry of
# these on an interaction is the one /undo takes back.
CAPTURE_ACTIONS = ("capture", "capture.relinked")
UNLINKED = "capture.unlinked"


class _Unknown:
    """The value a whole-record journal did not record: what the operation wrote."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def kind_of(record: Record) -> str:
    return _NAMES[type(record)]


def _values(record: Record) -> dict[str, Any]:
    return {
        f.name: snapshot.value(getattr(record, f.name))
        for f in dataclasses.fields(record)
        if f.name not in BOOKKEEPING
    }


class Journal:
    """What one operation changes, collected while it runs.

    `track` a record before changing it (the first call remembers its values) and mark a record the
    operation added with `created`. `changes()` compares each tracked record with what it remembered, at
    the moment it is called: `crm.audit.record` calls it when it stores the operation, so changes made
    until then count. Track the object that is then changed; when the operation reads the record again
    (after writing the earlier change), track that copy too, and the journal follows it.
    """

    def __init__(self) -> None:
        self._created: dict[Key, None] = {}
        self._tracked: dict[Key, tuple[Record, dict[str, Any]]] = {}

    def created(self, record: Record) -> None:
        self._created.setdefault((kind_of(record), record.id))

    def track(self, *records: Record) -> None:
        for record in records:
            key = (kind_of(record), record.id)
            if key in self._created:
                continue
            known = self._tracked.get(key)
            if known is None:
                self._tracked[key] = (record, _values(record))
            elif known[0] is not record:
                # A fresh copy, read after the earlier change was written: follow it, keep the first values.
                self._tracked[key] = (record, known[1])

    def created_ids(self, record_type: str) -> list[int]:
        return [record_id for kind, record_id in self._created if kind == record_type]

    def tracked(self) -> list[Record]:
        return [record for record, _ in self._tracked.values()]

    def changes(self) -> list[FieldChange]:
        found = [FieldChange(kind, record_id, None) for kind, record_id in self._created]
        for (kind, record_id), (record, before) in self._tracked.items():
            after = _values(record)
            changed = {name for name in before if before[name] != after[name]}
            for group in GROUPS.get(kind, ()):
                if changed & group:
                    changed |= group
            found += [
                FieldChange(kind, record_id, name, before[name], after[name])
                for name in before
                if name in changed
            ]
        return found


# --- undo ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kept:
    """Something an undo left as it is: a field changed since (`wrote` is what the operation wrote,
    `current` its value now, both JSON), or with `field` None a record the operation created that later
    work uses. `label` names the record for people (a customer's or contact's name, a deal's title)."""

    record_type: str
    record_id: int
    field: str | None
    wrote: Any = None
    current: Any = None
    label: str | None = None


@dataclass(slots=True)
class Undone:
    """What an undo did: fields it set back (each as a change: `before` what the operation had written,
    `after` what it is again), records it archived, what it kept, and its own journal."""

    reverted: list[FieldChange] = field(default_factory=list)
    archived: list[Key] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    journal: Journal = field(default_factory=Journal)


async def operation_changes(
    uow: UnitOfWork, entry: AuditEntry, merge: Merge | None = None
) -> list[FieldChange]:
    """An operation's journal: its rows, or for an operation recorded before the field journal, what
    `legacy_changes` reads from its detail (a merge's own detail, when `merge` is given)."""
    changes = await uow.journal.for_operation(entry.id)
    if changes:
        return changes
    return legacy_changes(merge.detail if merge is not None else entry.detail, merge)


async def created_ids(uow: UnitOfWork, entry: AuditEntry, record_type: str) -> set[int]:
    """The records of one type an operation created."""
    changes = await operation_changes(uow, entry)
    return {c.record_id for c in changes if c.field is None and c.record_type == record_type}


async def capture_operation(uow: UnitOfWork, interaction_id: int) -> AuditEntry | None:
    """The audit entry whose journal holds what a capture currently puts on records (see
    `CAPTURE_ACTIONS`), or None for an interaction that is no capture."""
    entries = [
        e for e in await uow.audit.for_target("interaction", interaction_id) if e.action in CAPTURE_ACTIONS
    ]
    return entries[-1] if entries else None


async def undo(
    uow: UnitOfWork,
    changes: Sequence[FieldChange],
    *,
    normalizer: Normalizer,
    now: datetime,
    operation: AuditEntry | None = None,
    own_interactions: Collection[int] = (),
) -> Undone:
    """Takes back one operation's `changes` where nothing changed since (see the module docstring).

    `operation` is its audit entry (whose later changes by another member keep a created record);
    `own_interactions` are interactions of the operation itself, which do not count as later work.
    Writes every record it changes; the caller records `Undone.journal` with its own audit entry.
    """
    done = Undone()
    records = _Records(uow)
    by_record: dict[Key, list[FieldChange]] = {}
    for change in changes:
        if change.field is not None and change.field not in BOOKKEEPING:
            by_record.setdefault((change.record_type, change.record_id), []).append(change)
    for key in reversed(list(by_record)):
        record = await records.get(key)
        if record is not None:
            _revert_fields(record, list(reversed(by_record[key])), done)
    # Written before the created records are looked at: whether later work uses them is read from the
    # database (a contact the operation had moved onto a customer it created is no longer on it).
    reverted = done.journal.tracked()
    await records.write(reverted, done.journal, normalizer, now)
    created = list(dict.fromkeys((c.record_type, c.record_id) for c in changes if c.field is None))
    if created:
        await _archive_created(uow, records, created, done, now, operation, set(own_interactions))
        archived = [r for r in done.journal.tracked() if all(r is not known for known in reverted)]
        await records.write(archived, done.journal, normalizer, now)
    return done


def _label(record: Record) -> str | None:
    if isinstance(record, Customer | Contact):
        return record.name
    if isinstance(record, Deal):
        return record.title or None
    if isinstance(record, Commitment):
        return record.text
    return None


_WRITTEN, _BEFORE, _CHANGED = "written", "before", "changed"


def _same(cls: type[Any], name: str, data: Any, current: Any) -> bool:
    if data is UNKNOWN:
        return False
    try:
        return bool(snapshot.load_field(cls, name, data) == current)
    except (ValueError, TypeError):
        # A value this version cannot read (an enum member since removed): not provably the same.
        logger.warning("journal value of %s.%s is unreadable", cls.__name__, name)
        return False


def _state(record: Record, change: FieldChange) -> str:
    assert change.field is not None
    current = getattr(record, change.field)
    cls = type(record)
    # A field journaled only for its group (unchanged by the operation) is "before" when untouched.
    if (
        change.after is not UNKNOWN
        and change.after != change.before
        and _same(cls, change.field, change.after, current)
    ):
        return _WRITTEN
    if _same(cls, change.field, change.before, current):
        return _BEFORE
    return _CHANGED


def _known(record: Record, change: FieldChange) -> bool:
    names = {f.name for f in dataclasses.fields(record)}
    if change.field in names:
        return True
    logger.warning("journal names %s.%s, which the record no longer has", change.record_type, change.field)
    return False


def _revert_fields(record: Record, changes: list[FieldChange], done: Undone) -> None:
    kind = kind_of(record)
    units: list[list[FieldChange]] = []
    groups: dict[frozenset[str], list[FieldChange]] = {}
    for change in changes:
        if not _known(record, change):
            continue
        group = next((g for g in GROUPS.get(kind, ()) if change.field in g), None)
        if group is None:
            units.append([change])
        else:
            groups.setdefault(group, []).append(change)
    units += groups.values()
    for unit in units:
        if len(unit) == 1 and isinstance(getattr(record, unit[0].field or ""), list):
            _revert_items(record, unit[0], done)
            continue
        states = [_state(record, change) for change in unit]
        if _CHANGED in states:
            for change, state in zip(unit, states, strict=True):
                if state != _BEFORE:
                    _keep(record, change, done)
            continue
        for change, state in zip(unit, states, strict=True):
            if state != _WRITTEN:
                continue
            try:
                value = snapshot.load_field(type(record), change.field or "", change.before)
            except (ValueError, TypeError):
                logger.warning("journal value of %s.%s is unreadable", change.record_type, change.field)
                _keep(record, change, done)
                continue
            _set(record, change, value, done)


def _keep(record: Record, change: FieldChange, done: Undone) -> None:
    assert change.field is not None
    current = snapshot.value(getattr(record, change.field))
    wrote = None if change.after is UNKNOWN else change.after
    done.kept.append(Kept(kind_of(record), record.id, change.field, wrote, current, _label(record)))


def _set(record: Record, change: FieldChange, value: Any, done: Undone) -> None:
    assert change.field is not None
    done.journal.track(record)
    current = snapshot.value(getattr(record, change.field))
    setattr(record, change.field, value)
    done.reverted.append(
        FieldChange(kind_of(record), record.id, change.field, current, snapshot.value(value))
    )


def _revert_items(record: Record, change: FieldChange, done: Undone) -> None:
    """A list field item by item: what the operation added goes, what it removed comes back (where it
    was), what others added since stays."""
    assert change.field is not None
    cls = type(record)
    current: list[Any] = list(getattr(record, change.field))
    try:
        before: list[Any] = list(snapshot.load_field(cls, change.field, change.before) or [])
        after: list[Any] = (
            []
            if change.after is UNKNOWN
            else list(snapshot.load_field(cls, change.field, change.after) or [])
        )
    except (ValueError, TypeError):
        logger.warning("journal value of %s.%s is unreadable", cls.__name__, change.field)
        _keep(record, change, done)
        return
    if change.after is UNKNOWN:
        if current != before:
            _keep(record, change, done)
        return
    restored = revert_items(before, after, current)
    if restored != current:
        _set(record, change, restored, done)


def revert_items(before: list[Any], after: list[Any], current: list[Any]) -> list[Any]:
    """A list an operation changed from `before` to `after`, taken back from `current`: the items it
    added go, the items it removed come back at their old place, anything added since stays."""
    added = [item for item in after if item not in before]
    removed = [item for item in before if item not in after]
    restored = [item for item in current if item not in added]
    for item in removed:
        if item not in restored:
            restored.insert(min(before.index(item), len(restored)), item)
    return restored


async def _archive_created(
    uow: UnitOfWork,
    records: _Records,
    created: list[Key],
    done: Undone,
    now: datetime,
    operation: AuditEntry | None,
    own: set[int],
) -> None:
    live: dict[Key, Record] = {}
    for key in created:
        record = await records.get(key)
        if record is not None and not _gone(record):
            live[key] = record
    kept = {key for key, record in live.items() if await _in_use(uow, record, set(created), operation, own)}
    # A kept contact or deal keeps its customer; a customer and the deal made with it go together.
    for _ in range(2):
        for key, record in live.items():
            parent = ("customer", record.customer_id) if isinstance(record, Contact | Deal) else None
            if key in kept and parent in live:
                kept.add(parent)
            if isinstance(record, Deal) and parent in kept:
                kept.add(key)
    for key, record in live.items():
        if key in kept:
            done.kept.append(Kept(key[0], key[1], None, label=_label(record)))
            continue
        done.journal.track(record)
        if isinstance(record, Interaction):
            record.undone_at = now
        elif isinstance(record, Commitment):
            record.done_at = now
        else:
            record.archived_at = now
        done.archived.append(key)


def _gone(record: Record) -> bool:
    """Already archived, merged into another or undone: nothing left to take back."""
    if isinstance(record, Interaction):
        return record.undone_at is not None
    if isinstance(record, Commitment):
        return record.done_at is not None
    if isinstance(record, Customer | Contact) and record.merged_into is not None:
        return True
    return record.archived_at is not None


async def _in_use(
    uow: UnitOfWork, record: Record, created: set[Key], operation: AuditEntry | None, own: set[int]
) -> bool:
    kind = kind_of(record)
    if operation is not None:
        for entry, _ in await uow.journal.for_record(kind, record.id):
            if entry.id > operation.id and entry.actor_id != operation.actor_id:
                return True
    if isinstance(record, Customer):
        others = await uow.interactions.for_customer(record.id, len(own) + 1)
        if any(i.id not in own for i in others):
            return True
        if any(("contact", c.id) not in created for c in await uow.contacts.for_customer(record.id)):
            return True
        return any(("deal", d.id) not in created for d in await uow.deals.for_customer(record.id))
    if isinstance(record, Contact):
        return any(
            i.id not in own and i.undone_at is None for i in await uow.interactions.for_contact(record.id)
        )
    if isinstance(record, Deal):
        if await uow.stage_changes.for_deal(record.id):
            return True
        statuses = (EvidenceStatus.PENDING, EvidenceStatus.CONFIRMED)
        return bool(await uow.evidence.for_deal(record.id, statuses))
    return False


class _Records:
    """The records an undo reads, each loaded once, and written back once at the end."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._cache: dict[Key, Record | None] = {}

    async def get(self, key: Key) -> Record | None:
        if key not in self._cache:
            self._cache[key] = await self._load(*key)
        return self._cache[key]

    async def _load(self, kind: str, record_id: int) -> Record | None:
        uow = self._uow
        if kind == "customer":
            return await uow.customers.get(record_id)
        if kind == "contact":
            return await uow.contacts.get(record_id)
        if kind == "deal":
            return await uow.deals.get(record_id)
        if kind == "interaction":
            return await uow.interactions.get(record_id)
        if kind == "commitment":
            return await uow.commitments.get(record_id)
        logger.warning("journal names an unknown record type %s", kind)
        return None

    async def write(
        self, changed: Sequence[Record], journal: Journal, normalizer: Normalizer, now: datetime
    ) -> None:
        """Writes records the undo changed: customers first, for the company part of their contacts'
        dedup keys; a customer whose name came back re-keys its contacts."""
        if not changed:
            return
        ids = {(kind_of(record), record.id) for record in changed}
        renamed = {
            change.record_id
            for change in journal.changes()
            if change.record_type == "customer"
            and change.field == "name"
            and ("customer", change.record_id) in ids
        }
        for record in changed:
            if isinstance(record, Customer | Contact | Deal):
                record.updated_at = now
        for record in changed:
            if isinstance(record, Customer):
                await self._uow.customers.update(record, _company_key(normalizer, record.name))
        contacts = [r for r in changed if isinstance(r, Contact)]
        for customer_id in renamed:
            contacts += [
                c
                for c in await self._uow.contacts.for_customer(customer_id)
                if all(c.id != known.id for known in contacts)
            ]
        for contact in contacts:
            company = await self._company(contact.customer_id)
            await self._uow.contacts.update(contact, contact_keys(normalizer, contact, company))
        for record in changed:
            if isinstance(record, Deal):
                await self._uow.deals.update(record)
            elif isinstance(record, Interaction):
                await self._uow.interactions.update(record)
            elif isinstance(record, Commitment):
                await self._uow.commitments.update(record)

    async def _company(self, customer_id: int | None) -> str | None:
        if customer_id is None:
            return None
        customer = await self.get(("customer", customer_id))
        return customer.name if isinstance(customer, Customer) else None


def _company_key(normalizer: Normalizer, name: str | None) -> str:
    return normalizer.company_key(name) if name else ""


# --- journals written before the field journal ---------------------------------------------------------

_LEGACY_LISTS = {
    "customers": "customer",
    "contacts": "contact",
    "interactions": "interaction",
    "deals": "deal",
    "commitments": "commitment",
}


def is_legacy(detail: dict[str, Any]) -> bool:
    return any(key in detail for key in ("created", "before", *_LEGACY_LISTS))


def legacy_changes(detail: dict[str, Any], merge: Merge | None = None) -> list[FieldChange]:
    """The changes a whole-record journal implies: the records it created, and each snapshotted field
    with its value before and an UNKNOWN value after, except a merge's links, whose values after are
    known (what moved went to the survivor; the merged record was marked merged into it)."""
    if not is_legacy(detail):
        return []
    changes: list[FieldChange] = []
    created = detail.get("created") or {}
    if isinstance(created, dict):
        changes += [FieldChange(str(kind), int(record_id), None) for kind, record_id in created.items()]
    snapshots: list[tuple[str, dict[str, Any]]] = []
    before = detail.get("before") or {}
    if isinstance(before, dict):
        snapshots += [
            (name, before[name]) for name in ("customer", "contact") if isinstance(before.get(name), dict)
        ]
        snapshots += [("contact", data) for data in before.get("contacts") or [] if isinstance(data, dict)]
    for plural, kind in _LEGACY_LISTS.items():
        snapshots += [(kind, data) for data in detail.get(plural) or [] if isinstance(data, dict)]
    links = _merge_links(merge, detail) if merge is not None else {}
    seen: set[Key] = set()
    for kind, data in snapshots:
        key = (kind, int(data.get("id") or 0))
        # The first snapshot of a record is the oldest: taken before the operation's first change.
        if key in seen or not key[1]:
            continue
        seen.add(key)
        changes += _legacy_fields(kind, key[1], data, links)
    return changes


def _legacy_fields(
    kind: str, record_id: int, data: dict[str, Any], links: dict[tuple[str, str], Any]
) -> Iterable[FieldChange]:
    names = {f.name for f in dataclasses.fields(RECORD_TYPES[kind])}
    for name, before in data.items():
        if name in BOOKKEEPING or name not in names:
            continue
        after = _link_after(kind, record_id, name, before, links)
        yield FieldChange(kind, record_id, name, before, after)


def _link_after(kind: str, record_id: int, name: str, before: Any, links: dict[tuple[str, str], Any]) -> Any:
    if name == "merged_into":
        target = links.get((kind, f"merged:{record_id}"))
        return target if target is not None else UNKNOWN
    if name in ("customer_id", "contact_id"):
        target = links.get((kind, name))
        if (
            target is not None
            and before != target
            and (name == "customer_id" or before == links.get(("", "merged")))
        ):
            return target
    return UNKNOWN


def _merge_links(merge: Merge, detail: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Where a legacy merge moved things: (record type, field) -> the survivor's id."""
    links: dict[tuple[str, str], Any] = {}
    if merge.kind == "contact":
        survivor = next(
            (
                d
                for d in detail.get("contacts") or []
                if isinstance(d, dict) and d.get("id") == merge.survivor_id
            ),
            None,
        )
        customer = survivor.get("customer_id") if survivor else None
        links[("contact", f"merged:{merge.merged_id}")] = merge.survivor_id
        links[("interaction", "contact_id")] = merge.survivor_id
        links[("", "merged")] = merge.merged_id
    else:
        customer = merge.survivor_id
        links[("customer", f"merged:{merge.merged_id}")] = merge.survivor_id
    if customer is not None:
        # A contact merge leaves the contacts' own customers alone; a customer merge moves them too.
        for kind in ("interaction", "deal", "commitment", *(("contact",) if merge.kind != "contact" else ())):
            links[(kind, "customer_id")] = customer
        for data in detail.get("customers") or []:
            if isinstance(data, dict) and data.get("id") not in (None, customer):
                links[("customer", f"merged:{data['id']}")] = customer
    return links
