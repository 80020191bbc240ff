"""Who is talking: /start (the first user founds a team, others join by invite), what non-members get,
/help, /invite, /lang and /cancel."""

from __future__ import annotations

from chat.members import view
from chat.messages import t
from chat.registry import Registry
from chat.views import Act, Reply, text
from crm.inputs import Newcomer
from crm.members import MemberService, StartOutcome
from crm.model import Lang, Member, Role


class Members:
    """Onboarding and the member's own preferences, on every channel."""

    def __init__(self, members: MemberService) -> None:
        self.members = members

    def register(self, registry: Registry) -> None:
        registry.commands({"help": self._help, "lang": self.set_lang, "cancel": self._cancel_command})
        registry.buttons({Act.CANCEL: self._cancel_button})

    async def identify(self, newcomer: Newcomer) -> Member | None:
        return await self.members.identify(newcomer.channel, newcomer.external_id)

    async def start(self, newcomer: Newcomer, invite_code: str | None) -> Reply:
        result = await self.members.start(newcomer, invite_code)
        lang = result.member.lang if result.member else Lang.from_code(newcomer.language_code)
        if result.outcome is StartOutcome.UNKNOWN or result.member is None:
            return self.unknown(newcomer.language_code)
        member = result.member
        if result.outcome is StartOutcome.FOUNDED:
            head = t(lang, "start.founded", team=result.team.name if result.team else "")
        elif result.outcome is StartOutcome.JOINED:
            head = t(
                lang,
                "start.joined",
                team=result.team.name if result.team else "",
                role=view.role_name(lang, member.role),
            )
        else:
            head = t(lang, "start.welcome_back", name=member.name)
        return Reply(head + "\n\n" + view.help_text(member).text)

    def unknown(self, language_code: str | None) -> Reply:
        """What someone who is not a member gets, whatever they send. Nothing of theirs is stored."""
        return text(Lang.from_code(language_code), "start.unknown")

    def help(self, actor: Member) -> Reply:
        return view.help_text(actor)

    async def invite(self, actor: Member, role_text: str, link_template: str) -> Reply:
        """`link_template` has a {code} field: a Telegram deep link, or what to send on WeChat."""
        try:
            role = Role(role_text.strip().lower() or "rep")
        except ValueError:
            return text(actor.lang, "invite.usage")
        invite = await self.members.invite(actor, role)
        link = link_template.format(code=invite.code)
        return text(actor.lang, "invite.created", role=view.role_name(actor.lang, role), link=link)

    async def set_lang(self, actor: Member, code: str) -> Reply:
        code = code.strip().lower()
        if code not in ("zh", "en", "中文", "english"):
            return text(actor.lang, "lang.choose")
        lang = Lang.ZH if code in ("zh", "中文") else Lang.EN
        member = await self.members.set_lang(actor, lang)
        return text(member.lang, "lang.set")

    async def cancel(self, actor: Member) -> Reply:
        await self.members.set_awaiting(actor, None)
        return text(actor.lang, "edit.cancelled")

    async def _help(self, actor: Member, _args: str) -> Reply:
        return self.help(actor)

    async def _cancel_command(self, actor: Member, _args: str) -> Reply:
        return await self.cancel(actor)

    async def _cancel_button(self, actor: Member, _target: int, _arg: str) -> Reply:
        return await self.cancel(actor)
