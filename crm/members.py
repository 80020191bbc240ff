"""Teams and members: the first /start makes an admin, invites bring in reps and managers.

On a public channel the first /start must carry the admin claim code that `chatcrm run` prints while
no team exists (`claim_code`); the person at the server's console founds the team without one.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm import audit
from crm.errors import InputRejected, InviteInvalid, NotAllowed, StorageConflict
from crm.inputs import Newcomer
from crm.linking import normalize_code
from crm.model import DEFAULT_TIMEZONE, AdminClaim, Channel, Identity, Invite, Lang, Member, Role, Team
from crm.ports import Clock, UnitOfWorkFactory

logger = logging.getLogger(__name__)

INVITE_TTL = timedelta(days=7)
AWAITING_TTL = timedelta(minutes=15)
# The claim code is read off a server's console and typed into a phone: no 0/O, 1/I/L; 12 characters
# of 31 are about 59 bits, far beyond guessing through a chat.
CLAIM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLAIM_LENGTH = 12


class StartOutcome(StrEnum):
    FOUNDED = "founded"  # first user: a new team with this member as admin
    JOINED = "joined"  # joined a team by invite
    WELCOME_BACK = "welcome_back"  # already a member
    UNKNOWN = "unknown"  # no invite, teams exist: nothing stored
    CLAIM_REQUIRED = "claim_required"  # no team yet, and founding it takes the admin claim code
    DEACTIVATED = "deactivated"  # a former member whose access was taken away: nothing changes


def show_claim(code: str) -> str:
    """The claim code as printed: in groups of four, easier to read off a console."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True, slots=True)
class StartResult:
    outcome: StartOutcome
    member: Member | None = None
    team: Team | None = None


def invite_code() -> str:
    """A single-use invite code: 72 random bits, URL-safe (a Telegram deep link carries it), never
    starting with "-" or "_", so that `chatcrm invite revoke CODE` cannot take it for an option."""
    while True:
        code = secrets.token_urlsafe(9)
        if code[0] not in "-_":
            return code


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
        """The active member behind a channel identity; None for strangers and deactivated members,
        so that every entry point that resolves the sender refuses them alike."""
        async with self._uow(read_only=True) as uow:
            identity = await uow.identities.get(channel, external_id)
            if identity is None:
                return None
            member = await uow.members.get(identity.member_id)
        return member if member is not None and member.active else None

    async def is_active(self, member_id: int) -> bool:
        """Whether the member may still be reached (read fresh: access may have ended a moment ago)."""
        async with self._uow(read_only=True) as uow:
            member = await uow.members.get(member_id)
        return member is not None and member.active

    async def start(
        self, newcomer: Newcomer, invite_code: str | None, *, on_server: bool = False
    ) -> StartResult:
        """/start: the very first user founds a team (with the admin claim code when `chatcrm run`
        issued one, unless `on_server`: the person at the server's console); others need an invite.
        Unknown users without a valid code get an onboarding answer and nothing of theirs is stored;
        a deactivated member gets nothing back, whatever code they bring."""
        now = self._clock.now()
        code = (invite_code or "").strip()
        async with self._uow() as uow:
            identity = await uow.identities.get(newcomer.channel, newcomer.external_id)
            if identity is not None:
                member = await uow.members.get(identity.member_id)
                if member is not None and member.active:
                    return StartResult(StartOutcome.WELCOME_BACK, member)
                if member is not None:
                    return StartResult(StartOutcome.DEACTIVATED)
            if await uow.teams.count() == 0:
                claim = await uow.claims.get()
                if claim is not None and claim.used_at is None:
                    return await self._found_by_claim(uow, newcomer, code, claim, on_server, now)
            if code:
                return await self._join(uow, newcomer, code, now)
            if await uow.teams.count() > 0:
                return StartResult(StartOutcome.UNKNOWN)
            return await self._found(uow, newcomer, now)

    async def _found_by_claim(
        self, uow: Any, newcomer: Newcomer, code: str, claim: AdminClaim, on_server: bool, now: datetime
    ) -> StartResult:
        if not on_server:
            if not code:
                return StartResult(StartOutcome.CLAIM_REQUIRED)
            if normalize_code(code) != claim.code:
                raise InviteInvalid("claim.invalid")
        result = await self._found(uow, newcomer, now, commit=False)
        assert result.member is not None
        # The conditional update is what makes the code single-use across processes: of two founders
        # racing with it, the second waits for the first's commit, then finds it used and rolls back.
        if not await uow.claims.spend(None if on_server else claim.code, result.member.id, now):
            raise InviteInvalid("claim.invalid")
        await uow.commit()
        return result

    async def _found(
        self, uow: Any, newcomer: Newcomer, now: datetime, *, commit: bool = True
    ) -> StartResult:
        team = await uow.teams.add(Team(id=0, name=newcomer.name or "Team", created_at=now))
        member = await self._add_member(uow, newcomer, team.id, Role.ADMIN, now)
        await audit.record(uow, member, "team.founded", ("team", team.id), {}, now)
        if commit:
            await uow.commit()
        logger.info("team %s founded by member %s", team.id, member.id)
        return StartResult(StartOutcome.FOUNDED, member, team)

    async def _join(self, uow: Any, newcomer: Newcomer, code: str, now: datetime) -> StartResult:
        invite: Invite | None = await uow.invites.get(code)
        if invite is None or not invite.is_open(now):
            raise InviteInvalid()
        member = await self._add_member(uow, newcomer, invite.team_id, invite.role, now)
        # Conditional: an invite redeemed or revoked by another transaction since it was read is not
        # used twice (the member added above rolls back with the refusal).
        if not await uow.invites.use(invite.code, member.id, now):
            raise InviteInvalid()
        detail = {"invite": invite.code, "role": invite.role.value}
        await audit.record(uow, member, "member.joined", ("member", member.id), detail, now)
        team = await uow.teams.get(invite.team_id)
        await uow.commit()
        return StartResult(StartOutcome.JOINED, member, team)

    async def claim_code(self) -> str | None:
        """The admin claim code while no team exists (made once, then the same for every process and
        restart until it is used); None once a team exists."""
        for _attempt in range(2):
            try:
                async with self._uow() as uow:
                    if await uow.teams.count() > 0:
                        return None
                    claim = await uow.claims.get()
                    if claim is not None:
                        return claim.code if claim.used_at is None else None
                    code = "".join(secrets.choice(CLAIM_ALPHABET) for _ in range(CLAIM_LENGTH))
                    await uow.claims.add(AdminClaim(code=code, created_at=self._clock.now()))
                    await uow.commit()
                    return code
            except StorageConflict:
                continue  # another process stored one just now: read theirs
        return None

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
            code=invite_code(),
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
