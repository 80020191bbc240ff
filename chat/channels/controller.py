"""What the channels call for linking and check-ins: /link for members, "/link CODE" and the greeting
for newcomers on text channels, a shared location and the button that moves a check-in."""

from __future__ import annotations

from chat.channels import view
from chat.members.view import help_text
from chat.messages import t
from chat.registry import Registry
from chat.views import Act, Reply, text
from crm.checkin import CheckInService
from crm.inputs import Newcomer, Place
from crm.linking import LINK_TTL, LinkService
from crm.members import MemberService
from crm.model import Lang, Member


class Channels:
    """One member on several channels, and visit check-ins."""

    def __init__(self, links: LinkService, checkins: CheckInService, members: MemberService) -> None:
        self.links = links
        self.checkins = checkins
        self.members = members

    def register(self, registry: Registry) -> None:
        registry.commands({"link": self.command})
        registry.buttons({Act.CHECKIN_AT: self.move})

    # --- linking --------------------------------------------------------------------------------

    async def command(self, actor: Member, args: str) -> Reply:
        """/link: a code to send on the other channel. With a code, the member is already here."""
        if args.strip():
            return text(actor.lang, "link.already_member")
        link = await self.links.issue(actor)
        minutes = int(LINK_TTL.total_seconds() // 60)
        return text(actor.lang, "link.code", code=link.code, minutes=minutes)

    async def redeem(self, who: Newcomer, code: str) -> Reply:
        member = await self.links.redeem(who, code)
        head = t(member.lang, "link.done", name=member.name)
        return Reply(head + "\n\n" + help_text(member).text)

    async def greet(self, who: Newcomer) -> Reply:
        """Someone followed the Official Account or opened the WeCom app."""
        member = await self.members.identify(who.channel, who.external_id)
        if member is None:
            return self.onboarding(who.language_code)
        head = t(member.lang, "start.welcome_back", name=member.name)
        return Reply(head + "\n\n" + help_text(member).text)

    def onboarding(self, language_code: str | None) -> Reply:
        """What a non-member gets on a text channel: how to join by code, or link an existing account."""
        return text(Lang.from_code(language_code), "link.onboarding")

    # --- check-ins ------------------------------------------------------------------------------

    async def check_in(self, actor: Member, place: Place, key: str | None = None) -> Reply:
        result = await self.checkins.check_in(actor, place, key)
        return view.checkin_card(actor, result)

    async def move(self, actor: Member, target: int, arg: str) -> Reply:
        result = await self.checkins.move(actor, target, int(arg))
        return view.checkin_card(actor, result)
