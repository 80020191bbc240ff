"""Teams and members: the first /start makes an admin, invites bring in reps and managers."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm import audit
from crm.errors import InputRejected, InviteInvalid, NotAllowed
from crm.inputs import Newcomer
from crm.model import DEFAULT_TIMEZONE, Channel, Identity, Invite, Lang, Member, Role, Team
from crm.ports import Clock, UnitOfWorkFactory

logger = logging.getLogger(__name__)

INVITE_TTL = timedelta(days=7)
AWAITING_TTL = timedelta(minutes=15)


class StartOutcome(StrEnum):
    FOUNDED = "founded"  # first user: a new team with this member as admin
    JOINED = "joined"  # joined a team by invite
    WELCOME_BACK = "welcome_back"  # already a member
    UNKNOWN = "unknown"  # no invite, teams exist: nothing stored


@dataclass(frozen=True, slots=True)
class StartResult:
    outcome: StartOutcome
    member: Member | None = None
    team: Team | None = None


class MemberService:
    """Identifies members by channel identity and manages teams, invites and preferences."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, default_timezone: str = DEFAULT_TIMEZONE
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._default_timezone = default_timezone

    async def get(self, member_id: int) -> Member | None:
        async with self._uow(read_only=True) as uow:
            return await uow.members.get(member_id)

    async def identities(self, member_id: int) -> list[Identity]:
        async with self._uow(read_only=True) as uow:
            return await uow.identities.for_member(member_id)

    async def identify(self, channel: Channel, external_id: str) -> Member | None:
        async with self._uow(read_only=True) as uow:
            identity = await uow.identities.get(channel, external_id)
            if identity is None:
                return None
            member = await uow.members.get(identity.member_id)
        return member if member is not None and member.active else None

    async def start(self, newcomer: Newcomer, invite_code: str | None) -> StartResult:
        """/start: the very first user founds a team; others need an invite. Unknown users without a
        valid invite get an onboarding answer and nothing of theirs is stored."""
        now = self._clock.now()
        async with self._uow() as uow:
            identity = await uow.identities.get(newcomer.channel, newcomer.external_id)
            if identity is not None:
                member = await uow.members.get(identity.member_id)
                if member is not None and member.active:
                    return StartResult(StartOutcome.WELCOME_BACK, member)
            if invite_code:
                invite = await uow.invites.get(invite_code.strip())
                if invite is None or invite.used_by is not None or invite.expires_at <= now:
                    raise InviteInvalid()
                member = await self._add_member(uow, newcomer, invite.team_id, invite.role, now)
                invite.used_by, invite.used_at = member.id, now
                await uow.invites.update(invite)
                detail = {"invite": invite.code, "role": invite.role.value}
                await audit.record(uow, member, "member.joined", ("member", member.id), detail, now)
                team = await uow.teams.get(invite.team_id)
                await uow.commit()
                return StartResult(StartOutcome.JOINED, member, team)
            if await uow.teams.count() > 0:
                return StartResult(StartOutcome.UNKNOWN)
            team = await uow.teams.add(Team(id=0, name=newcomer.name or "Team", created_at=now))
            member = await self._add_member(uow, newcomer, team.id, Role.ADMIN, now)
            await audit.record(uow, member, "team.founded", ("team", team.id), {}, now)
            await uow.commit()
        logger.info("team %s founded by member %s", team.id, member.id)
        return StartResult(StartOutcome.FOUNDED, member, team)

    async def link(self, member: Member, channel: Channel, external_id: str, chat_id: str) -> None:
        """Adds another channel identity to a member (the same person on Telegram and WeChat)."""
        async with self._uow() as uow:
            if await uow.identities.get(channel, external_id) is None:
                await uow.identities.add(Identity(channel, external_id, member.id, chat_id))
                await uow.commit()

    async def _add_member(
        self, uow: Any, newcomer: Newcomer, team_id: int, role: Role, now: datetime
    ) -> Member:
        member = await uow.members.add(
            Member(
                id=0,
                team_id=team_id,
                name=newcomer.name or newcomer.external_id,
                role=role,
                lang=Lang.from_code(newcomer.language_code),
                timezone=self._default_timezone,
                created_at=now,
                # Not chosen yet: it follows what the channel says until the member picks one.
                lang_auto=True,
            )
        )
        await uow.identities.add(
            Identity(newcomer.channel, newcomer.external_id, member.id, newcomer.chat_id)
        )
        return member  # type: ignore[no-any-return]

    async def invite(self, actor: Member, role: Role) -> Invite:
        """A single-use invite code. Managers invite reps; admins invite reps and managers."""
        if actor.role is Role.REP or (role is not Role.REP and actor.role is not Role.ADMIN):
            raise NotAllowed("error.invite_not_allowed")
        if role is Role.ADMIN:
            raise NotAllowed("error.invite_not_allowed")
        now = self._clock.now()
        invite = Invite(
            code=secrets.token_urlsafe(9),
            team_id=actor.team_id,
            role=role,
            created_by=actor.id,
            created_at=now,
            expires_at=now + INVITE_TTL,
        )
        async with self._uow() as uow:
            await uow.invites.add(invite)
            await audit.record(uow, actor, "invite.created", ("member", actor.id), {"role": role.value}, now)
            await uow.commit()
        return invite

    async def server_invite(self, role: Role, team_id: int | None = None) -> str | None:
        """An invite made on the server itself (`chatcrm invite`), in the name of the team's admin."""
        async with self._uow() as uow:
            teams = await uow.teams.all()
            team = next((t for t in teams if team_id is None or t.id == team_id), None)
            if team is None:
                return None
            admins = await uow.members.in_team(team.id, Role.ADMIN)
        if not admins:
            return None
        invite = await self.invite(admins[0], role)
        return invite.code

    async def set_lang(self, actor: Member, lang: Lang) -> Member:
        async with self._uow() as uow:
            member = await self._fresh(uow, actor)
            member.lang = lang
            member.lang_auto = False  # chosen: no message changes it any more
            await uow.members.update(member)
            await uow.commit()
        return member

    async def observe_language(self, actor: Member, code: str | None, *, settle: bool) -> Member:
        """What a channel says of the language of a member who never chose one (/lang): Telegram's
        language_code on each update (`settle=False`: it keeps following the app's language), or the
        language of a message typed on a text channel (`settle=True`: the first message clearly in
        one language decides). Writes only when something changes."""
        if not actor.lang_auto or code is None:
            return actor
        lang = Lang.from_code(code)
        if lang is actor.lang and not settle:
            return actor
        async with self._uow() as uow:
            member = await self._fresh(uow, actor)
            if not member.lang_auto:
                return member
            member.lang = lang
            member.lang_auto = not settle
            await uow.members.update(member)
            await uow.commit()
        if lang is not actor.lang:
            logger.info("member %s now speaks %s", member.id, lang.value)
        return member

    async def set_preferences(
        self,
        actor: Member,
        *,
        timezone: str | None = None,
        quiet: tuple[time, time] | bool | None = False,
        weekend_to_monday: bool | None = None,
    ) -> Member:
        """/settings: timezone, quiet hours (None clears them), weekend reminders moved to Monday."""
        async with self._uow() as uow:
            member = await self._fresh(uow, actor)
            if timezone is not None:
                try:
                    ZoneInfo(timezone)
                except (ZoneInfoNotFoundError, ValueError) as exc:
                    raise InputRejected("settings.bad_timezone", value=timezone) from exc
                member.timezone = timezone
            if quiet is None:
                member.quiet_start = member.quiet_end = None
            elif isinstance(quiet, tuple):
                member.quiet_start, member.quiet_end = quiet
            if weekend_to_monday is not None:
                member.weekend_to_monday = weekend_to_monday
            await uow.members.update(member)
            await uow.commit()
        return member

    async def team_members(self, actor: Member) -> list[Member]:
        async with self._uow(read_only=True) as uow:
            return await uow.members.in_team(actor.team_id)

    async def set_awaiting(self, actor: Member, awaiting: dict[str, Any] | None) -> None:
        """Remembers what the member's next text answers (a field value, a time), or forgets it."""
        async with self._uow() as uow:
            member = await self._fresh(uow, actor)
            if awaiting is not None:
                awaiting = {**awaiting, "until": (self._clock.now() + AWAITING_TTL).isoformat()}
            member.awaiting = awaiting
            await uow.members.update(member)
            await uow.commit()
        actor.awaiting = awaiting

    def pending_awaiting(self, actor: Member) -> dict[str, Any] | None:
        awaiting = actor.awaiting
        if not awaiting:
            return None
        until = awaiting.get("until")
        if until and datetime.fromisoformat(until) <= self._clock.now():
            return None
        return awaiting

    async def _fresh(self, uow: Any, actor: Member) -> Member:
        member: Member | None = await uow.members.get(actor.id)
        if member is None:
            raise NotAllowed()
        return member
