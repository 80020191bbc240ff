"""Who is talking: /start (the first user founds a team, others join by invite), what non-members get,
/help, /invite, /lang and /cancel; and the operators' side: /members (deactivate, reactivate, roles,
hand-over) and /invites (open invites, revoke)."""

from __future__ import annotations

from chat.members import view
from chat.members.view import MemberAct
from chat.messages import t
from chat.registry import Registry
from chat.views import Act, Reply, text
from crm.inputs import Newcomer
from crm.members import MemberService, StartOutcome
from crm.model import Lang, Member, Role
from crm.roster import Operator, RosterService


class Members:
    """Onboarding and the member's own preferences, on every channel; the team's administration for
    admins and managers (crm.roster decides who may do what)."""

    def __init__(self, members: MemberService, roster: RosterService) -> None:
        self.members = members
        self.roster = roster

    def register(self, registry: Registry) -> None:
        registry.commands(
            {
                "help": self._help,
                "lang": self.set_lang,
                "cancel": self._cancel_command,
                "members": self._members,
                "invites": self._invites,
            }
        )
        registry.buttons(
            {
                Act.CANCEL: self._cancel_button,
                MemberAct.OPEN: self._open,
                MemberAct.DEACTIVATE: self._deactivate,
                MemberAct.REACTIVATE: self._reactivate,
                MemberAct.ROLE: self._role,
                MemberAct.REASSIGN: self._reassign,
                MemberAct.REVOKE_INVITE: self._revoke,
            }
        )

    async def identify(self, newcomer: Newcomer) -> Member | None:
        return await self.members.identify(newcomer.channel, newcomer.external_id)

    async def start(self, newcomer: Newcomer, invite_code: str | None, *, on_server: bool = False) -> Reply:
        result = await self.members.start(newcomer, invite_code, on_server=on_server)
        lang = result.member.lang if result.member else Lang.from_code(newcomer.language_code)
        if result.outcome is StartOutcome.DEACTIVATED:
            return text(lang, "start.deactivated")
        if result.outcome is StartOutcome.CLAIM_REQUIRED:
            return text(lang, "start.claim_required")
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

    # --- the team's administration --------------------------------------------------------------

    async def _members(self, actor: Member, args: str) -> Reply:
        """/members, or /members 李 for the members whose name contains it."""
        return view.roster(actor, await self.roster.roster(Operator.of(actor)), args)

    async def _invites(self, actor: Member, _args: str) -> Reply:
        return view.invites(actor, await self.roster.open_invites(Operator.of(actor)))

    async def _open(self, actor: Member, target: int, _arg: str) -> Reply:
        return view.card(actor, await self.roster.entry(Operator.of(actor), target))

    async def _deactivate(self, actor: Member, target: int, arg: str) -> Reply:
        """Without a successor: the choice (the confirmation); with one: done."""
        if not arg:
            return await self._successors(actor, target, MemberAct.DEACTIVATE, "members.pick_successor")
        done = await self.roster.deactivate(Operator.of(actor), target, _member_id(arg))
        return view.deactivated(actor.lang, done)

    async def _reactivate(self, actor: Member, target: int, _arg: str) -> Reply:
        member = await self.roster.reactivate(Operator.of(actor), target)
        return text(actor.lang, "members.reactivated", name=member.name)

    async def _role(self, actor: Member, target: int, arg: str) -> Reply:
        try:
            role = Role(arg)
        except ValueError:
            return text(actor.lang, "error.stale_button")
        return view.role_changed(actor.lang, await self.roster.set_role(Operator.of(actor), target, role))

    async def _reassign(self, actor: Member, target: int, arg: str) -> Reply:
        if not arg:
            return await self._successors(actor, target, MemberAct.REASSIGN, "members.pick_reassign")
        done = await self.roster.reassign(Operator.of(actor), target, _member_id(arg))
        return view.reassigned(actor.lang, done)

    async def _successors(self, actor: Member, target: int, act: MemberAct, key: str) -> Reply:
        """Who may take over `target`'s records, as buttons of `act`: choosing one confirms it."""
        handover = await self.roster.handover(Operator.of(actor), target)
        return view.successors(actor.lang, handover, act, key)

    async def _revoke(self, actor: Member, _target: int, arg: str) -> Reply:
        invite = await self.roster.revoke_invite(Operator.of(actor), arg)
        return text(actor.lang, "invites.revoked", code=invite.code)


def _member_id(arg: str) -> int:
    """A successor id from a button; a forged one that is no number names nobody."""
    return int(arg) if arg.isdigit() else 0
