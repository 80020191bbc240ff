"""One person, several channels: a member asks for a link code on one channel (/link) and sends it on
another ("/link CODE"), which adds that channel's identity to the same member, so they see one set of
customers everywhere."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from crm.errors import InviteInvalid
from crm.inputs import Newcomer
from crm.model import AuditEntry, Identity, LinkCode, Member
from crm.ports import Clock, UnitOfWorkFactory

logger = logging.getLogger(__name__)

LINK_TTL = timedelta(minutes=10)
# No 0/O, 1/I/L: the code is read on one phone screen and typed on another.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


class LinkService:
    """Issues and redeems link codes; every link is audited."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def issue(self, actor: Member) -> LinkCode:
        now = self._clock.now()
        code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
        link = LinkCode(code=code, member_id=actor.id, created_at=now, expires_at=now + LINK_TTL)
        async with self._uow() as uow:
            await uow.link_codes.add(link)
            await uow.audit.add(_audit(actor, "link.issued", {}, link))
            await uow.commit()
        return link

    async def redeem(self, who: Newcomer, raw_code: str) -> Member:
        """Adds `who`'s identity to the member who issued the code. Raises InviteInvalid for an unknown,
        used or expired code, or when this account already belongs to someone."""
        now = self._clock.now()
        async with self._uow() as uow:
            link = await uow.link_codes.get(normalize_code(raw_code))
            if link is None or link.used_at is not None or link.expires_at <= now:
                raise InviteInvalid("link.invalid")
            member = await uow.members.get(link.member_id)
            if member is None or not member.active:
                raise InviteInvalid("link.invalid")
            existing = await uow.identities.get(who.channel, who.external_id)
            if existing is not None and existing.member_id != member.id:
                raise InviteInvalid("link.taken")
            if existing is None:
                await uow.identities.add(Identity(who.channel, who.external_id, member.id, who.chat_id))
            link.used_at, link.used_channel = now, who.channel
            await uow.link_codes.update(link)
            await uow.audit.add(_audit(member, "link.linked", {"channel": who.channel.value}, link))
            await uow.commit()
        logger.info("member %s linked a %s identity", member.id, who.channel.value)
        return member


def _audit(actor: Member, action: str, detail: dict[str, str], link: LinkCode) -> AuditEntry:
    return AuditEntry(
        id=0,
        team_id=actor.team_id,
        actor_id=actor.id,
        action=action,
        target_type="member",
        target_id=actor.id,
        detail=detail,
        created_at=link.used_at or link.created_at,
    )
