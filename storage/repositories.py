"""Repositories over one AsyncConnection. They read and write; they never commit."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Insert,
    RowMapping,
    Select,
    Table,
    Text,
    Update,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from crm.dedup import KeyKind, LookupKey
from crm.facts import DecisionRole, Party, Region
from crm.model import (
    AdminClaim,
    AuditEntry,
    Channel,
    Commitment,
    Contact,
    Customer,
    Deal,
    DealStatus,
    DuplicateFlag,
    DuplicateKind,
    DuplicateStatus,
    FieldChange,
    FollowUp,
    Holdings,
    Identity,
    Interaction,
    Invite,
    Lang,
    LinkCode,
    Member,
    Merge,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Role,
    Source,
    StoredFile,
    Team,
    Transfer,
    VoiceStatus,
)
from storage import tables as t


# Statements built once per table: SQLAlchemy then only binds parameters, which roughly halves the
# cost of the hot inserts and lookups a capture makes (compiling a statement is cached, but building
# it and its cache key is not).
@functools.cache
def _insert_id(table: Table) -> Insert:
    return insert(table).returning(table.c.id)


@functools.cache
def _select_by_id(table: Table) -> Select[Any]:
    return select(table).where(table.c.id == bindparam("row_id"))


@functools.cache
def _update_by_id(table: Table) -> Update:
    return update(table).where(table.c.id == bindparam("row_id"))


async def _row_by_id(conn: AsyncConnection, table: Table, row_id: int) -> RowMapping | None:
    row: RowMapping | None = (await conn.execute(_select_by_id(table), {"row_id": row_id})).mappings().first()
    return row


def _values(obj: Any, *, exclude: Sequence[str] = ("id",)) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in exclude}


def _region_columns(region: Region | None) -> dict[str, str | None]:
    if region is None:
        return {"province": None, "city": None, "district": None}
    return {"province": region.province, "city": region.city, "district": region.district}


def _region(row: Mapping[Any, Any]) -> Region | None:
    region = Region(row["province"], row["city"], row["district"])
    return None if region.is_empty() else region


class _Repo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn


class TeamRepository(_Repo):
    async def add(self, team: Team) -> Team:
        result = await self._conn.execute(_insert_id(t.teams), _values(team))
        team.id = result.scalar_one()
        return team

    async def get(self, team_id: int) -> Team | None:
        row = await _row_by_id(self._conn, t.teams, team_id)
        return Team(**row) if row else None

    async def count(self) -> int:
        return int((await self._conn.execute(select(func.count()).select_from(t.teams))).scalar_one())

    async def all(self) -> list[Team]:
        rows = (await self._conn.execute(select(t.teams).order_by(t.teams.c.id))).mappings()
        return [Team(**row) for row in rows]

    async def update(self, team: Team) -> None:
        await self._conn.execute(_update_by_id(t.teams), {**_values(team), "row_id": team.id})

    async def lock(self, team_id: int) -> None:
        # PostgreSQL: a row lock on the team serializes changes to its membership (two admins demoting
        # each other at once must not leave it without one). SQLite has one writer at a time anyway
        # and compiles FOR UPDATE to nothing.
        await self._conn.execute(select(t.teams.c.id).where(t.teams.c.id == team_id).with_for_update())


def _member(row: RowMapping) -> Member:
    data = dict(row)
    data["role"] = Role(data["role"])
    data["lang"] = Lang(data["lang"])
    return Member(**data)


def _member_values(member: Member) -> dict[str, Any]:
    values = _values(member)
    values["role"] = member.role.value
    values["lang"] = member.lang.value
    return values


# What `MemberRepository.update` writes: a member's own preferences. Team, role and access change only
# through set_role / set_active, so that a preference saved from a member read a moment before cannot
# write back the role or the access an admin just took away. `lang_auto` goes with `lang`: whether the
# language was chosen (/lang) or still follows what the member writes.
_PREFERENCES = (
    "name",
    "lang",
    "lang_auto",
    "timezone",
    "quiet_start",
    "quiet_end",
    "weekend_to_monday",
    "awaiting",
)


class MemberRepository(_Repo):
    async def add(self, member: Member) -> Member:
        result = await self._conn.execute(_insert_id(t.members), _member_values(member))
        member.id = result.scalar_one()
        return member

    async def get(self, member_id: int) -> Member | None:
        row = await _row_by_id(self._conn, t.members, member_id)
        return _member(row) if row else None

    async def update(self, member: Member) -> None:
        values = _member_values(member)
        await self._conn.execute(
            update(t.members)
            .where(t.members.c.id == member.id)
            .values({name: values[name] for name in _PREFERENCES})
        )

    async def in_team(self, team_id: int, role: Role | None = None) -> list[Member]:
        query = select(t.members).where(t.members.c.team_id == team_id, t.members.c.active.is_(True))
        if role is not None:
            query = query.where(t.members.c.role == role.value)
        rows = (await self._conn.execute(query.order_by(t.members.c.id))).mappings()
        return [_member(row) for row in rows]

    async def roster(self, team_id: int) -> list[Member]:
        # The pool's owner (an inactive member named 公海 that holds waiting leads) is nobody to manage:
        # reactivating it or handing its records over would empty the pool behind routing's back.
        pool_owners = select(t.pool_owners.c.member_id).where(t.pool_owners.c.team_id == team_id)
        query = (
            select(t.members)
            .where(t.members.c.team_id == team_id, t.members.c.id.not_in(pool_owners))
            .order_by(t.members.c.id)
        )
        return [_member(row) for row in (await self._conn.execute(query)).mappings()]

    async def set_role(self, member_id: int, role: Role) -> None:
        await self._conn.execute(update(t.members).where(t.members.c.id == member_id).values(role=role.value))

    async def set_active(self, member_id: int, active: bool, at: datetime) -> bool:
        result = await self._conn.execute(
            update(t.members)
            .where(t.members.c.id == member_id, t.members.c.active.is_(not active))
            .values(active=active, deactivated_at=None if active else at)
        )
        return result.rowcount == 1


class IdentityRepository(_Repo):
    async def get(self, channel: Channel, external_id: str) -> Identity | None:
        query = select(t.identities).where(
            t.identities.c.channel == channel.value, t.identities.c.external_id == external_id
        )
        row = (await self._conn.execute(query)).mappings().first()
        return _identity(row) if row else None

    async def add(self, identity: Identity) -> None:
        values = _values(identity, exclude=())
        values["channel"] = identity.channel.value
        await self._conn.execute(insert(t.identities).values(values))

    async def for_member(self, member_id: int) -> list[Identity]:
        query = select(t.identities).where(t.identities.c.member_id == member_id).order_by(t.identities.c.id)
        return [_identity(row) for row in (await self._conn.execute(query)).mappings()]


def _identity(row: RowMapping) -> Identity:
    return Identity(
        channel=Channel(row["channel"]),
        external_id=row["external_id"],
        member_id=row["member_id"],
        chat_id=row["chat_id"],
    )


class InviteRepository(_Repo):
    async def add(self, invite: Invite) -> None:
        values = _values(invite, exclude=())
        values["role"] = invite.role.value
        await self._conn.execute(insert(t.invites).values(values))

    async def get(self, code: str) -> Invite | None:
        row = (await self._conn.execute(select(t.invites).where(t.invites.c.code == code))).mappings().first()
        return _invite(row) if row is not None else None

    async def update(self, invite: Invite) -> None:
        await self._conn.execute(
            update(t.invites)
            .where(t.invites.c.code == invite.code)
            .values(used_by=invite.used_by, used_at=invite.used_at)
        )

    async def use(self, code: str, member_id: int, at: datetime) -> bool:
        result = await self._conn.execute(
            update(t.invites)
            .where(t.invites.c.code == code, _open_invite(at))
            .values(used_by=member_id, used_at=at)
        )
        return result.rowcount == 1

    async def revoke(self, code: str, by: int | None, at: datetime) -> bool:
        result = await self._conn.execute(
            update(t.invites)
            .where(t.invites.c.code == code, _open_invite(at))
            .values(revoked_at=at, revoked_by=by)
        )
        return result.rowcount == 1

    async def open_for_team(self, team_id: int, now: datetime) -> list[Invite]:
        query = (
            select(t.invites)
            .where(t.invites.c.team_id == team_id, _open_invite(now))
            .order_by(t.invites.c.created_at, t.invites.c.code)
        )
        return [_invite(row) for row in (await self._conn.execute(query)).mappings()]

    async def revoke_created_by(self, member_id: int, by: int | None, at: datetime) -> list[str]:
        query = select(t.invites.c.code).where(t.invites.c.created_by == member_id, _open_invite(at))
        codes = list((await self._conn.execute(query)).scalars().all())
        revoked = [code for code in codes if await self.revoke(code, by, at)]
        return sorted(revoked)


def _open_invite(now: datetime) -> Any:
    return and_(t.invites.c.used_by.is_(None), t.invites.c.revoked_at.is_(None), t.invites.c.expires_at > now)


def _invite(row: RowMapping) -> Invite:
    data = dict(row)
    data["role"] = Role(data["role"])
    return Invite(**data)


class ClaimRepository(_Repo):
    """The admin claim code: one row (id 1) at most."""

    async def get(self) -> AdminClaim | None:
        row = (
            (await self._conn.execute(select(t.admin_claims).where(t.admin_claims.c.id == 1)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return AdminClaim(**{k: v for k, v in row.items() if k != "id"})

    async def add(self, claim: AdminClaim) -> None:
        """Raises StorageConflict (at the latest on commit) when another process stored one first."""
        await self._conn.execute(insert(t.admin_claims).values(id=1, **_values(claim, exclude=())))

    async def spend(self, code: str | None, member_id: int, at: datetime) -> bool:
        """Marks the claim used by `member_id`: only if it is unused and, unless `code` is None (the
        console, which needs no code), only if it is that code. True for exactly one caller."""
        query = update(t.admin_claims).where(t.admin_claims.c.id == 1, t.admin_claims.c.used_at.is_(None))
        if code is not None:
            query = query.where(t.admin_claims.c.code == code)
        result = await self._conn.execute(query.values(used_at=at, used_by=member_id))
        return result.rowcount == 1


def _customer(row: RowMapping) -> Customer:
    data = {k: v for k, v in row.items() if k not in ("province", "city", "district", "name_key")}
    data["region"] = _region(row)
    data["follow_up"] = FollowUp(row["follow_up"]) if row["follow_up"] else None
    data["needs"] = list(row["needs"] or [])
    data["keywords"] = list(row["keywords"] or [])
    return Customer(**data)


def _customer_values(customer: Customer, name_key: str) -> dict[str, Any]:
    values = _values(customer, exclude=("id", "region"))
    values.update(_region_columns(customer.region))
    values["follow_up"] = customer.follow_up.value if customer.follow_up else None
    values["name_key"] = name_key
    return values


def _live(table: Any) -> Any:
    return and_(table.c.merged_into.is_(None), table.c.archived_at.is_(None))


def _like(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its wildcards escaped (with a backslash)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _contact_matches(pattern: str) -> Any:
    """A contact whose name, a phone or an e-mail matches `pattern` (from _like)."""
    return or_(
        t.contacts.c.name.ilike(pattern, escape="\\"),
        cast(t.contacts.c.phones, Text).like(pattern, escape="\\"),
        cast(t.contacts.c.emails, Text).ilike(pattern, escape="\\"),
    )


class CustomerRepository(_Repo):
    async def add(self, customer: Customer, name_key: str) -> Customer:
        result = await self._conn.execute(_insert_id(t.customers), _customer_values(customer, name_key))
        customer.id = result.scalar_one()
        return customer

    async def get(self, customer_id: int) -> Customer | None:
        row = await _row_by_id(self._conn, t.customers, customer_id)
        return _customer(row) if row else None

    async def update(self, customer: Customer, name_key: str) -> None:
        await self._conn.execute(
            _update_by_id(t.customers), {**_customer_values(customer, name_key), "row_id": customer.id}
        )

    async def by_name_key(self, team_id: int, name_key: str) -> list[Customer]:
        query = (
            select(t.customers)
            .where(t.customers.c.team_id == team_id, t.customers.c.name_key == name_key, _live(t.customers))
            .order_by(t.customers.c.id)
        )
        return [_customer(row) for row in (await self._conn.execute(query)).mappings()]

    async def search(self, team_id: int, owner_id: int | None, text: str, limit: int) -> list[Customer]:
        """Customers whose name, or one of whose contacts' names, phones or e-mails, contains `text`."""
        pattern = _like(text)
        contact_hit = (
            select(t.contacts.c.customer_id)
            .where(t.contacts.c.team_id == team_id, _live(t.contacts), _contact_matches(pattern))
            .scalar_subquery()
        )
        query = select(t.customers).where(
            t.customers.c.team_id == team_id,
            _live(t.customers),
            or_(t.customers.c.name.ilike(pattern, escape="\\"), t.customers.c.id.in_(contact_hit)),
        )
        if owner_id is not None:
            query = query.where(t.customers.c.owner_id == owner_id)
        query = query.order_by(t.customers.c.updated_at.desc()).limit(limit)
        return [_customer(row) for row in (await self._conn.execute(query)).mappings()]

    async def recent(self, team_id: int, owner_id: int | None, limit: int) -> list[Customer]:
        query = select(t.customers).where(t.customers.c.team_id == team_id, _live(t.customers))
        if owner_id is not None:
            query = query.where(t.customers.c.owner_id == owner_id)
        query = query.order_by(t.customers.c.updated_at.desc(), t.customers.c.id.desc()).limit(limit)
        return [_customer(row) for row in (await self._conn.execute(query)).mappings()]


def _contact(row: Mapping[Any, Any]) -> Contact:
    data = {k: v for k, v in row.items() if k not in ("province", "city", "district")}
    data["region"] = _region(row)
    data["phones"] = list(row["phones"] or [])
    data["emails"] = list(row["emails"] or [])
    data["decision_role"] = DecisionRole(row["decision_role"]) if row["decision_role"] else None
    return Contact(**data)


def _contact_values(contact: Contact) -> dict[str, Any]:
    values = _values(contact, exclude=("id", "region"))
    values.update(_region_columns(contact.region))
    values["decision_role"] = contact.decision_role.value if contact.decision_role else None
    return values


class ContactRepository(_Repo):
    async def add(self, contact: Contact, keys: Sequence[LookupKey]) -> Contact:
        result = await self._conn.execute(_insert_id(t.contacts), _contact_values(contact))
        contact.id = result.scalar_one()
        await self._write_keys(contact, keys)
        return contact

    async def get(self, contact_id: int) -> Contact | None:
        row = await _row_by_id(self._conn, t.contacts, contact_id)
        return _contact(row) if row else None

    async def update(self, contact: Contact, keys: Sequence[LookupKey]) -> None:
        await self._conn.execute(
            _update_by_id(t.contacts), {**_contact_values(contact), "row_id": contact.id}
        )
        await self._conn.execute(delete(t.contact_keys).where(t.contact_keys.c.contact_id == contact.id))
        await self._write_keys(contact, keys)

    async def _write_keys(self, contact: Contact, keys: Sequence[LookupKey]) -> None:
        # Merged and archived contacts keep no keys: dedup must never point at a record nobody sees.
        if contact.merged_into is not None or contact.archived_at is not None or not keys:
            return
        encoded = list(dict.fromkeys(key.encoded() for key in keys))
        await self._conn.execute(
            insert(t.contact_keys),
            [{"team_id": contact.team_id, "contact_id": contact.id, "key": key} for key in encoded],
        )

    async def for_customer(self, customer_id: int) -> list[Contact]:
        query = (
            select(t.contacts)
            .where(t.contacts.c.customer_id == customer_id, _live(t.contacts))
            .order_by(t.contacts.c.id)
        )
        return [_contact(row) for row in (await self._conn.execute(query)).mappings()]

    async def matching(
        self, team_id: int, text: str, customer_ids: Sequence[int], owner_id: int | None, limit: int
    ) -> list[Contact]:
        """Live contacts whose name, a phone or an e-mail contains `text`: those of `customer_ids`, and
        those with no customer (only `owner_id`'s, when given)."""
        unattached: Any = t.contacts.c.customer_id.is_(None)
        if owner_id is not None:
            unattached = and_(unattached, t.contacts.c.owner_id == owner_id)
        where = (
            or_(t.contacts.c.customer_id.in_(list(customer_ids)), unattached) if customer_ids else unattached
        )
        query = (
            select(t.contacts)
            .where(t.contacts.c.team_id == team_id, _live(t.contacts), _contact_matches(_like(text)), where)
            .order_by(t.contacts.c.id)
            .limit(limit)
        )
        return [_contact(row) for row in (await self._conn.execute(query)).mappings()]

    async def candidates(
        self, team_id: int, keys: Sequence[LookupKey], limit: int
    ) -> list[tuple[Contact, list[LookupKey]]]:
        """Live contacts sharing any of `keys`, each with all its stored keys, in one query."""
        if not keys:
            return []
        ids = (
            select(t.contact_keys.c.contact_id)
            .where(
                t.contact_keys.c.team_id == team_id,
                t.contact_keys.c.key.in_([key.encoded() for key in keys]),
            )
            .distinct()
            .limit(limit)
            .scalar_subquery()
        )
        query = (
            select(t.contacts, t.contact_keys.c.key.label("lookup_key"))
            .join(t.contact_keys, t.contact_keys.c.contact_id == t.contacts.c.id)
            .where(t.contacts.c.id.in_(ids), _live(t.contacts))
            .order_by(t.contacts.c.id)
        )
        found: dict[int, tuple[Contact, list[LookupKey]]] = {}
        for row in (await self._conn.execute(query)).mappings():
            contact_id = row["id"]
            if contact_id not in found:
                found[contact_id] = (_contact({k: v for k, v in row.items() if k != "lookup_key"}), [])
            kind, _, value = row["lookup_key"].partition(":")
            found[contact_id][1].append(LookupKey(KeyKind(kind), value))
        return list(found.values())


def _deal(row: RowMapping) -> Deal:
    data = dict(row)
    data["status"] = DealStatus(data["status"])
    return Deal(**data)


class DealRepository(_Repo):
    async def add(self, deal: Deal) -> Deal:
        values = _values(deal)
        values["status"] = deal.status.value
        deal.id = (await self._conn.execute(_insert_id(t.deals), values)).scalar_one()
        return deal

    async def get(self, deal_id: int) -> Deal | None:
        row = await _row_by_id(self._conn, t.deals, deal_id)
        return _deal(row) if row else None

    async def update(self, deal: Deal) -> None:
        values = _values(deal)
        values["status"] = deal.status.value
        await self._conn.execute(_update_by_id(t.deals), {**values, "row_id": deal.id})

    async def for_customer(self, customer_id: int) -> list[Deal]:
        query = (
            select(t.deals)
            .where(t.deals.c.customer_id == customer_id, t.deals.c.archived_at.is_(None))
            .order_by(t.deals.c.id)
        )
        return [_deal(row) for row in (await self._conn.execute(query)).mappings()]


def _interaction(row: RowMapping) -> Interaction:
    data = dict(row)
    data["source"] = Source(data["source"])
    data["facts"] = dict(data["facts"] or {})
    data["voice_status"] = VoiceStatus(data["voice_status"]) if data["voice_status"] else None
    return Interaction(**data)


def _interaction_values(interaction: Interaction) -> dict[str, Any]:
    values = _values(interaction)
    values["source"] = interaction.source.value
    values["voice_status"] = interaction.voice_status.value if interaction.voice_status else None
    return values


class InteractionRepository(_Repo):
    async def add(self, interaction: Interaction) -> Interaction:
        result = await self._conn.execute(_insert_id(t.interactions), _interaction_values(interaction))
        interaction.id = result.scalar_one()
        return interaction

    async def get(self, interaction_id: int) -> Interaction | None:
        row = await _row_by_id(self._conn, t.interactions, interaction_id)
        return _interaction(row) if row else None

    async def update(self, interaction: Interaction) -> None:
        await self._conn.execute(
            _update_by_id(t.interactions), {**_interaction_values(interaction), "row_id": interaction.id}
        )

    async def for_customer(self, customer_id: int, limit: int) -> list[Interaction]:
        query = (
            select(t.interactions)
            .where(t.interactions.c.customer_id == customer_id, t.interactions.c.undone_at.is_(None))
            .order_by(t.interactions.c.created_at.desc(), t.interactions.c.id.desc())
            .limit(limit)
        )
        return [_interaction(row) for row in (await self._conn.execute(query)).mappings()]

    async def for_contact(self, contact_id: int) -> list[Interaction]:
        query = (
            select(t.interactions)
            .where(t.interactions.c.contact_id == contact_id)
            .order_by(t.interactions.c.id)
        )
        return [_interaction(row) for row in (await self._conn.execute(query)).mappings()]

    async def last_by_author(self, member_id: int, sources: Sequence[Source]) -> Interaction | None:
        query = (
            select(t.interactions)
            .where(
                t.interactions.c.author_id == member_id,
                t.interactions.c.undone_at.is_(None),
                t.interactions.c.source.in_([source.value for source in sources]),
            )
            .order_by(t.interactions.c.id.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).mappings().first()
        return _interaction(row) if row else None

    async def count_for_customer(self, customer_id: int) -> int:
        query = select(func.count()).where(
            t.interactions.c.customer_id == customer_id, t.interactions.c.undone_at.is_(None)
        )
        return int((await self._conn.execute(query)).scalar_one())

    async def by_external_key(self, key: str) -> Interaction | None:
        query = select(t.interactions).where(t.interactions.c.external_key == key)
        row = (await self._conn.execute(query)).mappings().first()
        return _interaction(row) if row else None

    async def by_source_since(self, source: Source, since: datetime, limit: int) -> list[Interaction]:
        query = (
            select(t.interactions)
            .where(
                t.interactions.c.source == source.value,
                t.interactions.c.created_at >= since,
                t.interactions.c.undone_at.is_(None),
            )
            .order_by(t.interactions.c.id)
            .limit(limit)
        )
        return [_interaction(row) for row in (await self._conn.execute(query)).mappings()]


def _commitment(row: RowMapping) -> Commitment:
    data = dict(row)
    data["party"] = Party(data["party"])
    return Commitment(**data)


class CommitmentRepository(_Repo):
    async def add(self, commitment: Commitment) -> Commitment:
        values = _values(commitment)
        values["party"] = commitment.party.value
        result = await self._conn.execute(_insert_id(t.commitments), values)
        commitment.id = result.scalar_one()
        return commitment

    async def update(self, commitment: Commitment) -> None:
        values = _values(commitment)
        values["party"] = commitment.party.value
        await self._conn.execute(_update_by_id(t.commitments), {**values, "row_id": commitment.id})

    async def get(self, commitment_id: int) -> Commitment | None:
        row = await _row_by_id(self._conn, t.commitments, commitment_id)
        return _commitment(row) if row else None

    async def for_interaction(self, interaction_id: int) -> list[Commitment]:
        query = select(t.commitments).where(t.commitments.c.interaction_id == interaction_id)
        return [
            _commitment(row)
            for row in (await self._conn.execute(query.order_by(t.commitments.c.id))).mappings()
        ]

    async def for_customer(self, customer_id: int) -> list[Commitment]:
        query = select(t.commitments).where(t.commitments.c.customer_id == customer_id)
        return [
            _commitment(row)
            for row in (await self._conn.execute(query.order_by(t.commitments.c.id))).mappings()
        ]


def _reminder(row: RowMapping) -> Reminder:
    data = dict(row)
    data["kind"] = ReminderKind(data["kind"])
    data["status"] = ReminderStatus(data["status"])
    return Reminder(**data)


def _reminder_values(reminder: Reminder) -> dict[str, Any]:
    values = _values(reminder)
    values["kind"] = reminder.kind.value
    values["status"] = reminder.status.value
    return values


class ReminderRepository(_Repo):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        # Reminders written in this unit of work: after its commit the pending ones are published.
        self.seen: list[Reminder] = []

    async def add(self, reminder: Reminder) -> Reminder:
        result = await self._conn.execute(_insert_id(t.reminders), _reminder_values(reminder))
        reminder.id = result.scalar_one()
        self.seen.append(reminder)
        return reminder

    async def get(self, reminder_id: int) -> Reminder | None:
        row = await _row_by_id(self._conn, t.reminders, reminder_id)
        return _reminder(row) if row else None

    async def update(self, reminder: Reminder) -> None:
        await self._conn.execute(
            _update_by_id(t.reminders), {**_reminder_values(reminder), "row_id": reminder.id}
        )
        self.seen.append(reminder)

    async def for_interaction(self, interaction_id: int) -> list[Reminder]:
        query = select(t.reminders).where(t.reminders.c.interaction_id == interaction_id)
        return [
            _reminder(row) for row in (await self._conn.execute(query.order_by(t.reminders.c.id))).mappings()
        ]

    async def pending_for_member(self, member_id: int, limit: int) -> list[Reminder]:
        query = (
            select(t.reminders)
            .where(
                t.reminders.c.member_id == member_id,
                t.reminders.c.status.in_([ReminderStatus.PENDING.value, ReminderStatus.DELIVERED.value]),
            )
            .order_by(t.reminders.c.due_at, t.reminders.c.id)
            .limit(limit)
        )
        return [_reminder(row) for row in (await self._conn.execute(query)).mappings()]

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Reminder]:
        # A conditional UPDATE per row is the claim: of two processes racing for one reminder, only
        # the one whose UPDATE still sees it unclaimed gets rowcount 1. This works the same on SQLite
        # (one writer at a time) and PostgreSQL (row locks), with no dialect-specific SKIP LOCKED.
        claimable = and_(
            t.reminders.c.status == ReminderStatus.PENDING.value,
            t.reminders.c.due_at <= now,
            or_(t.reminders.c.claimed_until.is_(None), t.reminders.c.claimed_until < now),
        )
        query = select(t.reminders.c.id).where(claimable).order_by(t.reminders.c.due_at).limit(limit)
        claimed: list[Reminder] = []
        for reminder_id in (await self._conn.execute(query)).scalars().all():
            result = await self._conn.execute(
                update(t.reminders)
                .where(t.reminders.c.id == reminder_id, claimable)
                .values(claimed_until=lease_until, attempts=t.reminders.c.attempts + 1)
            )
            if result.rowcount == 1:
                reminder = await self.get(reminder_id)
                if reminder is not None:
                    claimed.append(reminder)
        return claimed

    async def next_due_at(self) -> datetime | None:
        # A pending reminder under a lease (being delivered, or waiting to retry after a failed
        # send) can be claimed again only when the lease ends, so that is when it is next "due".
        c = t.reminders.c
        claimable_at = case((c.claimed_until > c.due_at, c.claimed_until), else_=c.due_at)
        query = select(func.min(claimable_at)).where(c.status == ReminderStatus.PENDING.value)
        # func.min keeps the column's type, so the value comes back as an aware UTC datetime.
        due: datetime | None = (await self._conn.execute(query)).scalar_one_or_none()
        return due

    async def mark_delivered(self, reminder_id: int, lease_until: datetime, at: datetime) -> bool:
        if await self._settle(
            reminder_id,
            lease_until,
            status=ReminderStatus.DELIVERED.value,
            delivered_at=at,
            claimed_until=None,
        ):
            return True
        # The rep pressed "done" on the message before this was recorded: done keeps the claim, so
        # the delivery is still the holder's to record.
        c = t.reminders.c
        result = await self._conn.execute(
            update(t.reminders)
            .where(
                c.id == reminder_id,
                c.status == ReminderStatus.DONE.value,
                c.claimed_until == lease_until,
                c.delivered_at.is_(None),
            )
            .values(delivered_at=at, claimed_until=None)
        )
        return result.rowcount == 1

    async def renew(self, reminder_id: int, lease_until: datetime, until: datetime) -> bool:
        # The claim's end is its token: the new one replaces it only while the old one is held.
        return await self._settle(reminder_id, lease_until, claimed_until=until)

    async def retry_later(self, reminder_id: int, lease_until: datetime, at: datetime) -> bool:
        # The claim stays, moved to the retry time: claim_due takes it again once that has passed.
        return await self._settle(reminder_id, lease_until, claimed_until=at)

    async def give_up(self, reminder_id: int, lease_until: datetime) -> bool:
        return await self._settle(
            reminder_id, lease_until, status=ReminderStatus.CANCELLED.value, claimed_until=None
        )

    async def _settle(self, reminder_id: int, lease_until: datetime, **values: Any) -> bool:
        # Only the holder of the claim may settle it: a reminder the rep snoozed or closed meanwhile
        # (which clears the lease) or that another process re-claimed after the lease ran out is
        # left alone.
        result = await self._conn.execute(
            update(t.reminders)
            .where(
                t.reminders.c.id == reminder_id,
                t.reminders.c.status == ReminderStatus.PENDING.value,
                t.reminders.c.claimed_until == lease_until,
            )
            .values(**values)
        )
        return result.rowcount == 1

    async def listing(
        self, member_id: int | None, statuses: Sequence[ReminderStatus] | None, limit: int
    ) -> list[Reminder]:
        query = select(t.reminders)
        if member_id is not None:
            query = query.where(t.reminders.c.member_id == member_id)
        if statuses is not None:
            query = query.where(t.reminders.c.status.in_([s.value for s in statuses]))
        query = query.order_by(t.reminders.c.due_at, t.reminders.c.id).limit(limit)
        return [_reminder(row) for row in (await self._conn.execute(query)).mappings()]


def _audit(row: Mapping[Any, Any]) -> AuditEntry:
    data = dict(row)
    data["detail"] = dict(data["detail"] or {})
    return AuditEntry(**data)


class AuditRepository(_Repo):
    async def add(self, entry: AuditEntry) -> AuditEntry:
        result = await self._conn.execute(_insert_id(t.audit), _values(entry))
        entry.id = result.scalar_one()
        return entry

    async def update(self, entry: AuditEntry) -> None:
        await self._conn.execute(_update_by_id(t.audit), {**_values(entry), "row_id": entry.id})

    async def for_target(self, target_type: str, target_id: int) -> list[AuditEntry]:
        query = (
            select(t.audit)
            .where(t.audit.c.target_type == target_type, t.audit.c.target_id == target_id)
            .order_by(t.audit.c.id)
        )
        return [_audit(row) for row in (await self._conn.execute(query)).mappings()]

    async def last(self, actor_id: int, actions: Sequence[str]) -> AuditEntry | None:
        query = (
            select(t.audit)
            .where(t.audit.c.actor_id == actor_id, t.audit.c.action.in_(list(actions)))
            .order_by(t.audit.c.id.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).mappings().first()
        return _audit(row) if row else None


def _change(row: Mapping[Any, Any]) -> FieldChange:
    return FieldChange(
        record_type=row["record_type"],
        record_id=row["record_id"],
        field=row["field"],
        before=row["value_before"],
        after=row["value_after"],
        id=row["id"],
        team_id=row["team_id"],
        audit_id=row["audit_id"],
    )


class JournalRepository(_Repo):
    """The field journal: rows are only ever added (an undo adds its own rows)."""

    async def add(self, team_id: int, audit_id: int, changes: Sequence[FieldChange]) -> None:
        if not changes:
            return
        await self._conn.execute(
            insert(t.field_journal),
            [
                {
                    "team_id": team_id,
                    "audit_id": audit_id,
                    "record_type": change.record_type,
                    "record_id": change.record_id,
                    "field": change.field,
                    "value_before": change.before,
                    "value_after": change.after,
                }
                for change in changes
            ],
        )

    async def for_operation(self, audit_id: int) -> list[FieldChange]:
        query = (
            select(t.field_journal)
            .where(t.field_journal.c.audit_id == audit_id)
            .order_by(t.field_journal.c.id)
        )
        return [_change(row) for row in (await self._conn.execute(query)).mappings()]

    async def for_record(self, record_type: str, record_id: int) -> list[tuple[AuditEntry, FieldChange]]:
        journal = t.field_journal
        query = (
            select(journal, *(column.label(f"entry_{column.name}") for column in t.audit.c))
            .join(t.audit, t.audit.c.id == journal.c.audit_id)
            .where(journal.c.record_type == record_type, journal.c.record_id == record_id)
            .order_by(journal.c.id)
        )
        found: list[tuple[AuditEntry, FieldChange]] = []
        for row in (await self._conn.execute(query)).mappings():
            entry = _audit({column.name: row[f"entry_{column.name}"] for column in t.audit.c})
            found.append((entry, _change(row)))
        return found


# For the history reads (storage.history), which return the same records.
audit_entry = _audit
field_change = _change


class MergeRepository(_Repo):
    async def add(self, merge: Merge) -> Merge:
        result = await self._conn.execute(_insert_id(t.merges), _values(merge))
        merge.id = result.scalar_one()
        return merge

    async def get(self, merge_id: int) -> Merge | None:
        row = await _row_by_id(self._conn, t.merges, merge_id)
        return Merge(**{**row, "detail": dict(row["detail"] or {})}) if row else None

    async def update(self, merge: Merge) -> None:
        await self._conn.execute(_update_by_id(t.merges), {**_values(merge), "row_id": merge.id})


def _flag(row: RowMapping) -> DuplicateFlag:
    data = dict(row)
    data["kind"] = DuplicateKind(data["kind"])
    data["status"] = DuplicateStatus(data["status"])
    return DuplicateFlag(**data)


class DuplicateRepository(_Repo):
    async def add(self, flag: DuplicateFlag) -> DuplicateFlag:
        values = _values(flag)
        values["kind"] = flag.kind.value
        values["status"] = flag.status.value
        result = await self._conn.execute(_insert_id(t.duplicate_flags), values)
        flag.id = result.scalar_one()
        return flag

    async def get(self, flag_id: int) -> DuplicateFlag | None:
        row = await _row_by_id(self._conn, t.duplicate_flags, flag_id)
        return _flag(row) if row else None

    async def update(self, flag: DuplicateFlag) -> None:
        await self._conn.execute(
            _update_by_id(t.duplicate_flags), {"status": flag.status.value, "row_id": flag.id}
        )

    async def open_for_team(self, team_id: int, limit: int) -> list[DuplicateFlag]:
        query = (
            select(t.duplicate_flags)
            .where(
                t.duplicate_flags.c.team_id == team_id,
                t.duplicate_flags.c.status == DuplicateStatus.OPEN.value,
            )
            .order_by(t.duplicate_flags.c.id)
            .limit(limit)
        )
        return [_flag(row) for row in (await self._conn.execute(query)).mappings()]


class ProcessedKeys(_Repo):
    async def seen(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        query = select(t.processed_keys.c.key).where(t.processed_keys.c.key.in_(list(keys)))
        return set((await self._conn.execute(query)).scalars().all())

    async def add(self, keys: Sequence[str], now: datetime | None = None) -> None:
        """Records `keys`; a key recorded concurrently by another transaction fails the commit."""
        if keys:
            at = now or datetime.now(UTC)
            await self._conn.execute(
                insert(t.processed_keys), [{"key": key, "created_at": at} for key in dict.fromkeys(keys)]
            )

    async def purge(self, prefix: str, before: datetime) -> int:
        k = t.processed_keys.c
        result = await self._conn.execute(
            delete(t.processed_keys).where(k.key.startswith(prefix, autoescape=True), k.created_at < before)
        )
        return int(result.rowcount or 0)


class FileRepository(_Repo):
    async def add(self, stored: StoredFile) -> StoredFile:
        result = await self._conn.execute(_insert_id(t.files), _values(stored))
        stored.id = result.scalar_one()
        return stored

    async def get(self, file_id: int) -> StoredFile | None:
        row = await _row_by_id(self._conn, t.files, file_id)
        return StoredFile(**row) if row else None

    async def by_hash(self, team_id: int, sha256: str) -> StoredFile | None:
        query = select(t.files).where(t.files.c.team_id == team_id, t.files.c.sha256 == sha256)
        row = (await self._conn.execute(query)).mappings().first()
        return StoredFile(**row) if row else None


def _link_code(row: RowMapping) -> LinkCode:
    data = dict(row)
    channel = data.pop("used_channel")
    return LinkCode(**data, used_channel=Channel(channel) if channel else None)


class LinkCodeRepository(_Repo):
    async def add(self, link: LinkCode) -> None:
        await self._conn.execute(insert(t.link_codes).values(_values(link, exclude=())))

    async def get(self, code: str) -> LinkCode | None:
        query = select(t.link_codes).where(t.link_codes.c.code == code)
        row = (await self._conn.execute(query)).mappings().first()
        return _link_code(row) if row else None

    async def update(self, link: LinkCode) -> None:
        await self._conn.execute(
            update(t.link_codes)
            .where(t.link_codes.c.code == link.code)
            .values(_values(link, exclude=("code",)))
        )


class OwnershipRepository(_Repo):
    """Who owns what, across the record tables: the hand-over when a member leaves."""

    async def transfer(self, team_id: int, from_id: int, to_id: int) -> Transfer:
        """Moves every customer, contact and deal `from_id` owns, and their open commitments and
        reminders, to `to_id`, with one UPDATE per table."""

        async def move(table: Table, column: str, *open_only: Any) -> tuple[int, ...]:
            owner = table.c[column]
            query = (
                update(table)
                .where(table.c.team_id == team_id, owner == from_id, *open_only)
                .values({column: to_id})
                .returning(table.c.id)
            )
            return tuple(sorted((await self._conn.execute(query)).scalars().all()))

        open_reminder = t.reminders.c.status.in_(
            [ReminderStatus.PENDING.value, ReminderStatus.DELIVERED.value]
        )
        return Transfer(
            customers=await move(t.customers, "owner_id"),
            contacts=await move(t.contacts, "owner_id"),
            deals=await move(t.deals, "owner_id"),
            commitments=await move(t.commitments, "owner_id", t.commitments.c.done_at.is_(None)),
            reminders=await move(t.reminders, "member_id", open_reminder),
        )

    async def holdings(self, team_id: int) -> dict[int, Holdings]:
        """Per member of the team: live customers, open deals and open reminders."""

        async def per_owner(table: Table, column: str, *where: Any) -> dict[int, int]:
            owner = table.c[column]
            query = select(owner, func.count()).where(table.c.team_id == team_id, *where).group_by(owner)
            return {int(row[0]): int(row[1]) for row in (await self._conn.execute(query)).all()}

        customers = await per_owner(t.customers, "owner_id", _live(t.customers))
        deals = await per_owner(
            t.deals, "owner_id", t.deals.c.status == DealStatus.OPEN.value, t.deals.c.archived_at.is_(None)
        )
        reminders = await per_owner(
            t.reminders,
            "member_id",
            t.reminders.c.status.in_([ReminderStatus.PENDING.value, ReminderStatus.DELIVERED.value]),
        )
        members = customers.keys() | deals.keys() | reminders.keys()
        return {
            member: Holdings(customers.get(member, 0), deals.get(member, 0), reminders.get(member, 0))
            for member in members
        }
