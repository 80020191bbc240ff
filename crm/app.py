"""The application object handlers talk to: one call per user action, a Reply back.

Handlers unpack a channel's update into these calls and render the Reply; every decision is made
here or in the services behind it, so Telegram, WeChat and the console behave the same.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chat.cards.controller import CardActions
from chat.deals.controller import Pipeline
from chat.format import when
from chat.leads import view as present
from chat.messages import t
from chat.reminders.view import ReminderActions
from chat.views import Act, Button, Replies, Reply, rows
from crm.capture import CaptureService, transcript
from crm.cards import CardService
from crm.checkin import CheckIns, CheckInService
from crm.customers import CustomerService, EditableField
from crm.errors import ChatCrmError, NotFound
from crm.inbox import Inbox
from crm.inputs import ChatMessage, Newcomer, Photos, Upload
from crm.linking import Linking, LinkService
from crm.members import MemberService, StartOutcome
from crm.model import FollowUp, Lang, Member, Role
from crm.ports import (
    AudioProbe,
    BlobStore,
    CardReader,
    ChartRenderer,
    Clock,
    DocumentReader,
    FactExtractor,
    InputSpool,
    Normalizer,
    Notifier,
    SpeechToText,
    UnitOfWorkFactory,
    WorkCalendar,
)
from crm.reminders import ReminderService
from crm.voice import VoiceService

logger = logging.getLogger(__name__)

ButtonHandler = Callable[[Member, int, str], Awaitable[Reply]]
CommandHandler = Callable[[Member, str], Awaitable[Reply]]
AwaitingHandler = Callable[[Member, dict[str, Any], str], Awaitable[Reply]]
# Typed text a feature answers instead of a capture (text, the replied-to message's text, key), or None.
TextRecognizer = Callable[[Member, str, str | None, str | None], Awaitable[Reply | None]]
# A file or photo a feature takes (deal evidence, a business card), or None to leave it to the next.
FileRoute = Callable[[Member, Upload], Awaitable[Reply | None]]


@dataclass(frozen=True, slots=True)
class Ports:
    """Everything the application needs from outside the domain. Perception and delivery are
    optional: a process without them (the CLI, some tests) simply lacks those features."""

    uow: UnitOfWorkFactory
    clock: Clock
    extractor: FactExtractor
    normalizer: Normalizer
    spool: InputSpool
    blobs: BlobStore | None = None
    notifier: Notifier | None = None
    speech: SpeechToText | None = None
    cards: CardReader | None = None
    audio: AudioProbe | None = None  # quick checks of voice notes before they are queued
    documents: DocumentReader | None = None  # text of evidence documents, for their keywords
    charts: ChartRenderer | None = None  # the funnel chart of /pipeline and the digest
    calendar: WorkCalendar | None = None  # workdays of the morning digest (Monday-Friday without)


class App:
    """chatcrm's use cases, as the channels see them."""

    def __init__(
        self,
        ports: Ports,
        *,
        default_timezone: str = "Asia/Shanghai",
        max_file_mb: int = 20,
        ocr_workers: int = 1,
    ) -> None:
        self.ports = ports
        self.members = MemberService(ports.uow, ports.clock, default_timezone)
        self.capture = CaptureService(ports.uow, ports.clock, ports.extractor, ports.normalizer, ports.spool)
        self.customers = CustomerService(ports.uow, ports.clock, ports.normalizer)
        self._buttons: dict[Act, ButtonHandler] = {}
        self._commands: dict[str, CommandHandler] = {}
        self._awaiting: dict[str, AwaitingHandler] = {"field": self._answer_field}
        self._recognizers: list[TextRecognizer] = []
        self._file_routes: list[FileRoute] = []
        self.register_commands(
            {
                "help": self._help,
                "find": self.find,
                "customer": self.customer,
                "undo": self._undo,
                "lang": self.set_lang,
                "cancel": self._cancel_command,
                "review": self._review,
            }
        )
        self.register_buttons(
            {
                Act.CONFIRM: self._confirm,
                Act.EDIT_MENU: self._edit_menu,
                Act.EDIT_FIELD: self._edit_field,
                Act.FOLLOW_UP: self._follow_up,
                Act.ATTACH_MENU: self._attach_menu,
                Act.ATTACH_TO: self._attach_to,
                Act.MERGE: self._merge,
                Act.KEEP_SEPARATE: self._keep_separate,
                Act.UNDO_MERGE: self._undo_merge,
                Act.OPEN_CUSTOMER: self._open_customer,
                Act.RETRY: self._retry,
                Act.CANCEL: self._cancel,
            }
        )
        # reminders: the scheduler's delivery bookkeeping, and /reminders, /settings and the buttons
        self.reminders = ReminderService(ports.uow, ports.clock)
        ReminderActions(self.reminders, self.members, ports.clock, ports.extractor).register(self)
        # Channels: one member on several channels (/link), text-channel onboarding, location
        # check-ins, and messages a channel may deliver twice claimed once.
        self.linking = Linking(LinkService(ports.uow, ports.clock), self.members)
        self.checkins = CheckIns(CheckInService(ports.uow, ports.clock))
        self.inbox = Inbox(ports.uow)
        self.register_commands({"link": self.linking.command})
        self.register_buttons({Act.CHECKIN_AT: self.checkins.move})
        # Voice notes become visit minutes: app.voice.note(...) from every channel, its buttons,
        # /terms (the team's product words for the transcriber) and its pending answers.
        self.voice = VoiceService(
            ports.uow,
            ports.clock,
            ports.extractor,
            ports.normalizer,
            ports.spool,
            self.members,
            blobs=ports.blobs,
            speech=ports.speech,
            probe=ports.audio,
            max_bytes=max_file_mb * 1024 * 1024,
            scheduled=self.reminders.scheduled,
        )
        self.register_buttons(self.voice.buttons())
        self.register_commands(self.voice.commands())
        for kind, handler in self.voice.awaiting().items():
            self.register_awaiting(kind, handler)
        # Deal pipeline: stages with evidence gates, deal cards, files as evidence, typed "推进到…"
        # and roles, /deals /deal /advance /pipeline /digest /stages, the morning digest.
        self.pipeline = Pipeline(self, max_bytes=max_file_mb * 1024 * 1024)
        # Business cards: photos no route before them takes become contacts (app.photos; the last file
        # route), with "fix" buttons for what OCR doubted. At most `ocr_workers` tesseract runs at once.
        self.cards = CardService(
            ports.uow,
            ports.clock,
            self.capture,
            self.customers,
            ports.extractor,
            ports.normalizer,
            reader=ports.cards,
            blobs=ports.blobs,
            max_bytes=max_file_mb * 1024 * 1024,
            ocr_workers=ocr_workers,
        )
        self.card_actions = CardActions(self.cards, self.members)
        self.card_actions.register(self)

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
        self.reminders.scheduled(result.reminders)
        reply = present.lead_card(actor, result)
        return await self.pipeline.after_capture(actor, result, reply, transcript(messages))

    async def text(
        self, actor: Member, text: str, key: str | None = None, reply_to: str | None = None
    ) -> Reply:
        """Typed text: the answer to a pending question if there is one, then what a feature
        recognizes ("推进到方案匹配", a reply to a deal card), otherwise a capture. `reply_to` is the
        text of the message it replies to, on channels that have replies."""
        awaiting = self.members.pending_awaiting(actor)
        handler = self._awaiting.get(str(awaiting.get("kind"))) if awaiting is not None else None
        if awaiting is not None and handler is not None:
            return await handler(actor, awaiting, text)
        for recognize in self._recognizers:
            recognized = await recognize(actor, text, reply_to, key)
            if recognized is not None:
                return recognized
        return await self.chat(actor, [ChatMessage(text=text, key=key)])

    def register_text(self, recognizer: TextRecognizer) -> None:
        """Typed text a feature answers before it would be captured (keep recognizers narrow)."""
        self._recognizers.append(recognizer)

    def register_file_route(self, route: FileRoute, *, first: bool = False) -> None:
        """A feature that takes files or photos; routes are asked in order until one answers."""
        if first:
            self._file_routes.insert(0, route)
        else:
            self._file_routes.append(route)

    async def upload(self, actor: Member, upload: Upload) -> Reply:
        """A document or photo: deal evidence when it is one (documents; photos replying to a deal card
        or whose caption names a deal or requirement), else the next route (business cards), else a
        note of what files are understood."""
        for route in self._file_routes:
            reply = await route(actor, upload)
            if reply is not None:
                return reply
        return present.text(actor.lang, "evidence.photo_without_deal")

    async def photos(self, actor: Member, photos: Photos) -> Replies:
        """Photos sent together (one, or an album: a card's front and back, or several cards). A file
        route before the cards may take them (deal evidence: a caption or reply naming a deal), then
        every photo goes the same way; otherwise they are business cards."""
        uploads = [
            Upload(
                fetch=photo.fetch,
                name=photo.name,
                size=photo.size,
                caption=photos.caption,
                reply_to=photos.reply_to,
                is_photo=True,
                key=photo.key,
                max_bytes=photo.max_bytes,
            )
            for photo in photos.items
        ]
        for route in self._file_routes:
            if route == self.card_actions.route:
                break
            taken = await route(actor, uploads[0])
            if taken is not None:
                return Replies((taken, *[await self.upload(actor, upload) for upload in uploads[1:]]))
        return await self.card_actions.photos(actor, photos)

    async def cancel(self, actor: Member) -> Reply:
        await self.members.set_awaiting(actor, None)
        return present.text(actor.lang, "edit.cancelled")

    async def _answer_field(self, actor: Member, awaiting: dict[str, Any], text: str) -> Reply:
        capture = int(str(awaiting["capture"]))
        field = EditableField(str(awaiting["field"]))
        # A rejected value raises InputRejected and keeps the question open for a better answer.
        result = await self.customers.edit(actor, capture, field, text)
        await self.members.set_awaiting(actor, None)
        return present.lead_card(actor, result, headline=t(actor.lang, "lead.edited"))

    # --- buttons --------------------------------------------------------------------------------

    def register_commands(self, handlers: Mapping[str, CommandHandler]) -> None:
        """Slash commands every channel offers (/start and /invite are the channels' own)."""
        clash = self._commands.keys() & handlers.keys()
        if clash:
            raise ValueError(f"commands registered twice: {sorted(clash)}")
        self._commands.update(handlers)

    def register_awaiting(self, kind: str, handler: AwaitingHandler) -> None:
        """What answers a pending question of `kind` (set with members.set_awaiting)."""
        if kind in self._awaiting:
            raise ValueError(f"awaiting kind registered twice: {kind}")
        self._awaiting[kind] = handler

    async def command(self, actor: Member, name: str, args: str) -> Reply:
        handler = self._commands.get(name.lower())
        if handler is None:
            return self.unknown_command(actor, name)
        return await handler(actor, args)

    def command_names(self) -> list[str]:
        return sorted(self._commands)

    async def _review(self, actor: Member, _args: str) -> Reply:
        return present.review_list(actor.lang, await self.customers.review(actor))

    async def _help(self, actor: Member, _args: str) -> Reply:
        return self.help(actor)

    async def _undo(self, actor: Member, _args: str) -> Reply:
        return await self.undo(actor)

    async def _cancel_command(self, actor: Member, _args: str) -> Reply:
        return await self.cancel(actor)

    def register_buttons(self, handlers: Mapping[Act, ButtonHandler]) -> None:
        """Features add their button actions here; an action has exactly one handler."""
        clash = self._buttons.keys() & handlers.keys()
        if clash:
            raise ValueError(f"button actions registered twice: {sorted(clash)}")
        self._buttons.update(handlers)

    async def press(self, actor: Member, act: Act, target: int, arg: str) -> Reply:
        """A button: the same action whether tapped on Telegram or chosen by number elsewhere."""
        handler = self._buttons.get(act)
        if handler is None:
            raise NotFound("error.stale_button")
        return await handler(actor, target, arg)

    async def _confirm(self, actor: Member, target: int, _arg: str) -> Reply:
        result = await self.customers.confirm(actor, target)
        return present.lead_card(actor, result, headline=t(actor.lang, "lead.confirmed"))

    async def _edit_menu(self, actor: Member, target: int, _arg: str) -> Reply:
        await self.customers.lead(actor, target)  # only captures the member may see
        return present.edit_menu(actor.lang, target)

    async def _edit_field(self, actor: Member, target: int, arg: str) -> Reply:
        field = EditableField(arg)
        await self.customers.lead(actor, target)
        await self.members.set_awaiting(actor, {"kind": "field", "capture": target, "field": field.value})
        return present.text(actor.lang, "edit.prompt", field=t(actor.lang, f"field.{field.value}"))

    async def _follow_up(self, actor: Member, target: int, arg: str) -> Reply:
        if not arg:
            return Reply(t(actor.lang, "follow_up.choose"), present.follow_up_buttons(actor.lang, target))
        result = await self.customers.set_follow_up(actor, target, FollowUp(arg))
        return present.lead_card(actor, result, headline=t(actor.lang, "lead.edited"))

    async def _attach_menu(self, actor: Member, target: int, _arg: str) -> Reply:
        lead = await self.customers.lead(actor, target)
        customers = await self.customers.recent(actor)
        return present.attach_menu(actor.lang, target, customers, lead.customer.id if lead.customer else None)

    async def _attach_to(self, actor: Member, target: int, arg: str) -> Reply:
        result = await self.customers.attach(actor, target, int(arg))
        return present.lead_card(actor, result, headline=t(actor.lang, "lead.edited"))

    async def _merge(self, actor: Member, target: int, _arg: str) -> Reply:
        merged = await self.customers.merge(actor, target)
        name = merged.survivor.name or present.customer_name(actor.lang, merged.customer)
        return Reply(
            t(actor.lang, "merge.done", name=name),
            rows(Button(t(actor.lang, "button.undo_merge"), Act.UNDO_MERGE, merged.merge.id)),
        )

    async def _keep_separate(self, actor: Member, target: int, _arg: str) -> Reply:
        await self.customers.keep_separate(actor, target)
        return present.text(actor.lang, "merge.kept")

    async def _undo_merge(self, actor: Member, target: int, _arg: str) -> Reply:
        await self.customers.undo_merge(actor, target)
        return present.text(actor.lang, "merge.undone")

    async def _open_customer(self, actor: Member, target: int, _arg: str) -> Reply:
        card = await self.customers.card(actor, target)
        if isinstance(card, list):
            return present.customer_list(actor.lang, card, "customer.choose")
        return present.customer_card(actor, card)

    async def _retry(self, actor: Member, _target: int, arg: str) -> Reply:
        retried = await self.capture.retry(actor, arg)
        if retried is None:
            return present.text(actor.lang, "error.retry_gone")
        self.reminders.scheduled(retried.reminders)
        return present.lead_card(actor, retried)

    async def _cancel(self, actor: Member, _target: int, _arg: str) -> Reply:
        return await self.cancel(actor)

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
