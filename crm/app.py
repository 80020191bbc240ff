"""The application object handlers talk to: one call per user action, a Reply back.

Handlers unpack a channel's update into these calls and render the Reply; every decision is made
here or in the services behind it, so Telegram, WeChat and the console behave the same.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from crm import present
from crm.capture import CaptureService, ChatMessage
from crm.customers import CustomerService, EditableField
from crm.errors import ChatCrmError, InputRejected, NotFound
from crm.format import when
from crm.members import MemberService, Newcomer, StartOutcome
from crm.messages import t
from crm.model import FollowUp, Lang, Member, Role
from crm.ports import Clock, FactExtractor, InputSpool, Normalizer, UnitOfWorkFactory
from crm.views import Act, Button, Reply, rows

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ports:
    """Everything the application needs from outside the domain."""

    uow: UnitOfWorkFactory
    clock: Clock
    extractor: FactExtractor
    normalizer: Normalizer
    spool: InputSpool


class App:
    """chatcrm's use cases, as the channels see them."""

    def __init__(self, ports: Ports, *, default_timezone: str = "Asia/Shanghai") -> None:
        self.ports = ports
        self.members = MemberService(ports.uow, ports.clock, default_timezone)
        self.capture = CaptureService(ports.uow, ports.clock, ports.extractor, ports.normalizer, ports.spool)
        self.customers = CustomerService(ports.uow, ports.clock, ports.normalizer)

    # --- who is talking -------------------------------------------------------------------------

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
                role=present.role_name(lang, member.role),
            )
        else:
            head = t(lang, "start.welcome_back", name=member.name)
        return Reply(head + "\n\n" + present.help_text(member).text)

    def unknown(self, language_code: str | None) -> Reply:
        """What someone who is not a member gets, whatever they send. Nothing of theirs is stored."""
        return present.text(Lang.from_code(language_code), "start.unknown")

    def help(self, actor: Member) -> Reply:
        return present.help_text(actor)

    async def invite(self, actor: Member, role_text: str, link_template: str) -> Reply:
        """`link_template` has a {code} field: a Telegram deep link, or what to send on WeChat."""
        try:
            role = Role(role_text.strip().lower() or "rep")
        except ValueError:
            return present.text(actor.lang, "invite.usage")
        invite = await self.members.invite(actor, role)
        link = link_template.format(code=invite.code)
        return present.text(actor.lang, "invite.created", role=present.role_name(actor.lang, role), link=link)

    async def set_lang(self, actor: Member, code: str) -> Reply:
        code = code.strip().lower()
        if code not in ("zh", "en", "中文", "english"):
            return present.text(actor.lang, "lang.choose")
        lang = Lang.ZH if code in ("zh", "中文") else Lang.EN
        member = await self.members.set_lang(actor, lang)
        return present.text(member.lang, "lang.set")

    # --- capture --------------------------------------------------------------------------------

    async def chat(self, actor: Member, messages: Sequence[ChatMessage]) -> Reply:
        """A forwarded burst or a pasted chat."""
        result = await self.capture.chat(actor, messages)
        return present.lead_card(actor, result)

    async def text(self, actor: Member, text: str, key: str | None = None) -> Reply:
        """Typed text: the answer to a pending question if there is one, otherwise a capture."""
        awaiting = self.members.pending_awaiting(actor)
        if awaiting is not None and awaiting.get("kind") == "field":
            return await self._answer_field(actor, awaiting, text)
        return await self.chat(actor, [ChatMessage(text=text, key=key)])

    async def cancel(self, actor: Member) -> Reply:
        await self.members.set_awaiting(actor, None)
        return present.text(actor.lang, "edit.cancelled")

    async def _answer_field(self, actor: Member, awaiting: dict[str, object], text: str) -> Reply:
        capture = int(str(awaiting["capture"]))
        field = EditableField(str(awaiting["field"]))
        try:
            result = await self.customers.edit(actor, capture, field, text)
        except InputRejected:
            # Keep waiting for a better value; the error tells the member what was wrong.
            raise
        await self.members.set_awaiting(actor, None)
        return present.lead_card(actor, result, headline=t(actor.lang, "lead.edited"))

    # --- buttons --------------------------------------------------------------------------------

    async def press(self, actor: Member, act: Act, target: int, arg: str) -> Reply:
        """A button: the same action whether tapped on Telegram or chosen by number elsewhere."""
        lang = actor.lang
        if act is Act.CONFIRM:
            result = await self.customers.confirm(actor, target)
            return present.lead_card(actor, result, headline=t(lang, "lead.confirmed"))
        if act is Act.EDIT_MENU:
            await self.customers.lead(actor, target)  # visibility check
            return present.edit_menu(lang, target)
        if act is Act.EDIT_FIELD:
            field = EditableField(arg)
            await self.customers.lead(actor, target)
            await self.members.set_awaiting(actor, {"kind": "field", "capture": target, "field": field.value})
            return present.text(lang, "edit.prompt", field=t(lang, f"field.{field.value}"))
        if act is Act.FOLLOW_UP:
            if not arg:
                return Reply(t(lang, "follow_up.choose"), present.follow_up_buttons(lang, target))
            result = await self.customers.set_follow_up(actor, target, FollowUp(arg))
            return present.lead_card(
                actor,
                result,
                headline=t(lang, "lead.edited"),
            )
        if act is Act.ATTACH_MENU:
            lead = await self.customers.lead(actor, target)
            customers = await self.customers.recent(actor)
            return present.attach_menu(lang, target, customers, lead.customer.id if lead.customer else None)
        if act is Act.ATTACH_TO:
            result = await self.customers.attach(actor, target, int(arg))
            return present.lead_card(actor, result, headline=t(lang, "lead.edited"))
        if act is Act.MERGE:
            merged = await self.customers.merge(actor, target)
            name = merged.survivor.name or present.customer_name(lang, merged.customer)
            return Reply(
                t(lang, "merge.done", name=name),
                rows(Button(t(lang, "button.undo_merge"), Act.UNDO_MERGE, merged.merge.id)),
            )
        if act is Act.KEEP_SEPARATE:
            await self.customers.keep_separate(actor, target)
            return present.text(lang, "merge.kept")
        if act is Act.UNDO_MERGE:
            await self.customers.undo_merge(actor, target)
            return present.text(lang, "merge.undone")
        if act is Act.OPEN_CUSTOMER:
            card = await self.customers.card(actor, target)
            assert not isinstance(card, list)
            return present.customer_card(actor, card)
        if act is Act.RETRY:
            retried = await self.capture.retry(actor, arg)
            if retried is None:
                return present.text(lang, "error.retry_gone")
            return present.lead_card(actor, retried)
        if act is Act.CANCEL:
            return await self.cancel(actor)
        raise NotFound("error.stale_button")

    # --- reading --------------------------------------------------------------------------------

    async def find(self, actor: Member, query: str) -> Reply:
        if not query.strip():
            return present.text(actor.lang, "find.usage")
        customers = await self.customers.find(actor, query)
        if not customers:
            return present.text(actor.lang, "customer.not_found", query=query.strip())
        return present.customer_list(actor.lang, customers)

    async def customer(self, actor: Member, name: str) -> Reply:
        if not name.strip():
            return present.text(actor.lang, "customer.usage")
        card = await self.customers.card(actor, name)
        if isinstance(card, list):
            return present.customer_list(actor.lang, card, "customer.choose")
        return present.customer_card(actor, card)

    async def undo(self, actor: Member) -> Reply:
        result = await self.customers.undo_last_capture(actor)
        return present.text(
            actor.lang, "undo.done", when=when(actor.lang, result.interaction.created_at, actor.tz)
        )

    def unsupported(self, actor: Member) -> Reply:
        return present.text(actor.lang, "input.unsupported")

    def unknown_command(self, actor: Member, name: str) -> Reply:
        return present.text(actor.lang, "command.unknown", name=name)

    def error(self, lang: Lang, exc: ChatCrmError) -> Reply:
        return present.error(lang, exc)

    def generic_error(self, lang: Lang) -> Reply:
        return present.text(lang, "error.generic")
