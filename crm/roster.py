"""Taking access away, and the team's roster: deactivate and reactivate members, change roles, hand a
member's customers to a colleague, list and revoke open invites. Every action is audited.

Who may do what (`Operator`): an admin acts on anyone of the team; a manager only on its reps (and
never changes a role: managers invite reps only, so they grant none); the server's command line may do
what an admin may. A team always keeps an active admin: the last one can neither step down nor leave.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crm import audit
from crm.errors import InputRejected, NotAllowed, NotFound
from crm.model import Channel, Holdings, Invite, Member, Role, Transfer
from crm.ports import Clock, UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Operator:
    """Who administers a team: a member in chat, or the server's command line (`member` None)."""

    team_id: int
    member: Member | None = None

    @classmethod
    def of(cls, member: Member) -> Operator:
        return cls(member.team_id, member)

    @property
    def actor_id(self) -> int | None:
        return self.member.id if self.member is not None else None


@dataclass(frozen=True, slots=True)
class RosterEntry:
    member: Member
    holdings: Holdings
    channels: tuple[Channel, ...]


@dataclass(frozen=True, slots=True)
class OpenInvite:
    invite: Invite
    creator: Member | None


@dataclass(frozen=True, slots=True)
class Handover:
    """Who may take over a member's customers when they leave, the default first."""

    member: Member
    holdings: Holdings
    default: Member | None
    candidates: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class Deactivated:
    member: Member
    successor: Member
    moved: Transfer
    revoked_invites: tuple[str, ...]
    already: bool = False  # the member was deactivated before: nothing changed


@dataclass(frozen=True, slots=True)
class RoleChanged:
    member: Member
    before: Role


@dataclass(frozen=True, slots=True)
class Reassigned:
    source: Member
    successor: Member
    moved: Transfer


def default_successor(roster: list[Member], departing: Member, actor: Member | None) -> Member | None:
    """Who takes over by default: the manager who acts; else the team's manager when it has exactly
    one; else the admin who acts; else the first other admin (then manager). Never the departing."""
    others = [m for m in roster if m.active and m.id != departing.id]
    acting = next((m for m in others if actor is not None and m.id == actor.id), None)
    if acting is not None and acting.role is Role.MANAGER:
        return acting
    managers = [m for m in others if m.role is Role.MANAGER]
    if len(managers) == 1:
        return managers[0]
    if acting is not None:
        return acting
    admins = [m for m in others if m.role is Role.ADMIN]
    return next(iter(admins + managers), None)


class RosterService:
    """Operators' powers over a team's membership."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # --- reading --------------------------------------------------------------------------------

    async def roster(self, op: Operator) -> list[RosterEntry]:
        """Every member of the team, deactivated ones too, with what they own and their channels."""
        async with self._uow(read_only=True) as uow:
            await _operator(uow, op)
            members = await uow.members.roster(op.team_id)
            holdings = await uow.ownership.holdings(op.team_id)
            entries = []
            for member in members:
                channels = tuple(i.channel for i in await uow.identities.for_member(member.id))
                entries.append(RosterEntry(member, holdings.get(member.id, Holdings()), channels))
        return entries

    async def entry(self, op: Operator, member_id: int) -> RosterEntry:
        """One member the operator may manage, with what they own and their channels."""
        async with self._uow(read_only=True) as uow:
            actor = await _operator(uow, op)
            member = await _target(uow, op, actor, member_id, active_only=False)
            holdings = (await uow.ownership.holdings(op.team_id)).get(member.id, Holdings())
            channels = tuple(i.channel for i in await uow.identities.for_member(member.id))
        return RosterEntry(member, holdings, channels)

    async def handover(self, op: Operator, member_id: int) -> Handover:
        """Before deactivating or reassigning: what would move, and to whom it may."""
        async with self._uow(read_only=True) as uow:
            actor = await _operator(uow, op)
            # A deactivated member too: what they still own (a voice note finished after they left)
            # can be handed over later.
            target = await _target(uow, op, actor, member_id, active_only=False)
            roster = await uow.members.roster(op.team_id)
            holdings = (await uow.ownership.holdings(op.team_id)).get(target.id, Holdings())
        default = default_successor(roster, target, actor)
        others = [
            m for m in roster if m.active and m.id != target.id and (default is None or m.id != default.id)
        ]
        candidates = ((default,) if default is not None else ()) + tuple(others)
        return Handover(target, holdings, default, candidates)

    async def open_invites(self, op: Operator) -> list[OpenInvite]:
        """Invites not yet used, revoked or expired, with who made them; a manager sees those for reps."""
        async with self._uow(read_only=True) as uow:
            actor = await _operator(uow, op)
            invites = await uow.invites.open_for_team(op.team_id, self._clock.now())
            creators = {m.id: m for m in await uow.members.roster(op.team_id)}
        return [OpenInvite(i, creators.get(i.created_by)) for i in invites if _may_handle_invite(actor, i)]

    # --- taking access away ---------------------------------------------------------------------

    async def deactivate(self, op: Operator, member_id: int, successor_id: int | None = None) -> Deactivated:
        """Ends the member's access on every channel at once (the channels resolve members on each
        message and button, and deliveries check again before sending); hands every customer, contact
        and deal they own, and their open commitments and reminders, to `successor_id` (or the default
        successor); revokes the invites they made. Nothing is deleted."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.teams.lock(op.team_id)
            actor = await _operator(uow, op)
            target = await _target(uow, op, actor, member_id, active_only=False)
            roster = await uow.members.roster(op.team_id)
            if not target.active:
                return Deactivated(target, target, Transfer(), (), already=True)
            _keeps_an_admin(roster, target, stays_admin=False)
            successor = await self._successor(uow, op, roster, target, actor, successor_id)
            await uow.members.set_active(target.id, False, now)
            target.active, target.deactivated_at = False, now
            target.awaiting = None
            await uow.members.update(target)
            moved = await uow.ownership.transfer(op.team_id, target.id, successor.id)
            revoked = await uow.invites.revoke_created_by(target.id, op.actor_id, now)
            detail = {"successor": successor.id, "moved": moved.ids(), "invites_revoked": revoked}
            await audit.record_for(
                uow, op.team_id, op.actor_id, "member.deactivated", ("member", target.id), detail, now
            )
            await uow.commit()
        logger.info(
            "member %s deactivated by %s; %s handed to member %s",
            target.id,
            op.actor_id if op.actor_id is not None else "the server",
            moved.counts(),
            successor.id,
        )
        return Deactivated(target, successor, moved, tuple(revoked))

    async def reactivate(self, op: Operator, member_id: int) -> Member:
        """Gives a deactivated member their access back (what was handed over stays where it went)."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.teams.lock(op.team_id)
            actor = await _operator(uow, op)
            target = await _target(uow, op, actor, member_id, active_only=False)
            if await uow.members.set_active(target.id, True, now):
                target.active, target.deactivated_at = True, None
                await audit.record_for(
                    uow, op.team_id, op.actor_id, "member.reactivated", ("member", target.id), {}, now
                )
                await uow.commit()
        return target

    async def set_role(self, op: Operator, member_id: int, role: Role) -> RoleChanged:
        """An admin (or the server) changes a member's role; the team keeps an active admin."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.teams.lock(op.team_id)
            actor = await _operator(uow, op)
            if actor is not None and actor.role is not Role.ADMIN:
                raise NotAllowed("members.role_admins_only")
            target = await _target(uow, op, actor, member_id)
            before = target.role
            if before is role:
                return RoleChanged(target, before)
            _keeps_an_admin(await uow.members.roster(op.team_id), target, stays_admin=role is Role.ADMIN)
            await uow.members.set_role(target.id, role)
            target.role = role
            detail = {"from": before.value, "to": role.value}
            await audit.record_for(
                uow, op.team_id, op.actor_id, "member.role", ("member", target.id), detail, now
            )
            await uow.commit()
        logger.info("member %s is now %s", target.id, role.value)
        return RoleChanged(target, before)

    async def reassign(self, op: Operator, member_id: int, successor_id: int | None = None) -> Reassigned:
        """Hands everything a member owns to another (the default successor if none is named), without
        touching their access: for a member who changes territory, or one deactivated earlier."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.teams.lock(op.team_id)
            actor = await _operator(uow, op)
            source = await _target(uow, op, actor, member_id, active_only=False)
            roster = await uow.members.roster(op.team_id)
            successor = await self._successor(uow, op, roster, source, actor, successor_id)
            moved = await uow.ownership.transfer(op.team_id, source.id, successor.id)
            detail = {"successor": successor.id, "moved": moved.ids()}
            await audit.record_for(
                uow, op.team_id, op.actor_id, "member.reassigned", ("member", source.id), detail, now
            )
            await uow.commit()
        return Reassigned(source, successor, moved)

    async def revoke_invite(self, op: Operator, code: str) -> Invite:
        """Revokes an open invite of the team: nobody can join with it any more."""
        now = self._clock.now()
        async with self._uow() as uow:
            actor = await _operator(uow, op)
            invite = await uow.invites.get(code.strip())
            if invite is None or invite.team_id != op.team_id:
                raise NotFound("invite.unknown")
            if not _may_handle_invite(actor, invite):
                raise NotAllowed("members.manager_reps_only")
            if not await uow.invites.revoke(invite.code, op.actor_id, now):
                raise InputRejected("invite.not_open")
            invite.revoked_at, invite.revoked_by = now, op.actor_id
            detail = {"code": invite.code, "role": invite.role.value}
            await audit.record_for(
                uow, op.team_id, op.actor_id, "invite.revoked", ("invite", None), detail, now
            )
            await uow.commit()
        return invite

    async def _successor(
        self,
        uow: UnitOfWork,
        op: Operator,
        roster: list[Member],
        departing: Member,
        actor: Member | None,
        successor_id: int | None,
    ) -> Member:
        if successor_id is None:
            successor = default_successor(roster, departing, actor)
            if successor is None:
                raise InputRejected("members.no_successor")
            return successor
        successor = await uow.members.get(successor_id)
        if (
            successor is None
            or successor.team_id != op.team_id
            or not successor.active
            or successor.id == departing.id
        ):
            raise InputRejected("members.bad_successor")
        return successor


async def _operator(uow: UnitOfWork, op: Operator) -> Member | None:
    """The acting member as the database has it now (a role or access taken away a moment ago
    counts), or None for the server. Reps administer nothing."""
    if op.member is None:
        if await uow.teams.get(op.team_id) is None:
            raise NotFound("members.no_team")
        return None
    actor = await uow.members.get(op.member.id)
    if actor is None or not actor.active or actor.team_id != op.team_id:
        raise NotAllowed()
    if actor.role is Role.REP:
        raise NotAllowed("members.admins_only")
    return actor


async def _target(
    uow: UnitOfWork, op: Operator, actor: Member | None, member_id: int, *, active_only: bool = True
) -> Member:
    """A member of the operator's team that the operator may act on: a manager acts on reps only."""
    target = await uow.members.get(member_id)
    if target is None or target.team_id != op.team_id:
        raise NotFound("members.unknown", member=member_id)
    if active_only and not target.active:
        raise InputRejected("members.inactive", name=target.name)
    if actor is not None and actor.role is Role.MANAGER and target.role is not Role.REP:
        raise NotAllowed("members.manager_reps_only")
    return target


def _keeps_an_admin(roster: list[Member], target: Member, *, stays_admin: bool) -> None:
    """Refuses a change that would leave the team without an active admin (the last admin stepping
    down or leaving)."""
    if target.role is not Role.ADMIN or stays_admin:
        return
    if not any(m.active and m.role is Role.ADMIN and m.id != target.id for m in roster):
        raise NotAllowed("members.last_admin")


def _may_handle_invite(actor: Member | None, invite: Invite) -> bool:
    return actor is None or actor.role is Role.ADMIN or invite.role is Role.REP
