"""WeChat / WeCom messages after the callback was acknowledged: unpack, one app call, send the reply.

WeChat has no inline buttons: a reply's buttons become a numbered menu and the number typed back picks
one (handlers/textchat). Replies go out through the message APIs, not in the callback's response.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from chat.app import App
from chat.views import Replies, Reply
from crm.errors import ChatCrmError, DeliveryFailed, InputRejected
from crm.inputs import CardPhoto, Newcomer, Photos, Place, Upload, VoiceNote
from crm.model import Channel, Lang, Member
from handlers.errors import guarded
from handlers.textchat import TextConversation
from handlers.wechat import render
from handlers.wechat.inbound import Inbound
from handlers.wechat.ports import MediaTooLarge, MediaUnavailable, WeChatApi

logger = logging.getLogger(__name__)

GREETING_EVENTS = frozenset({"subscribe", "enter_agent"})
# Menu clicks, location reports, scans and the like: acknowledged, nothing to answer.
SILENT_EVENTS = frozenset({"unsubscribe", "location", "view", "click", "scan", "view_miniprogram"})
MB = 1024 * 1024


def newcomer(message: Inbound) -> Newcomer:
    # Callbacks carry no name or language: the member's name defaults to the id until they set one,
    # the language to Chinese (most reps); /lang en switches.
    return Newcomer(message.channel, message.sender, message.sender, name="", language_code=None)


async def guarded_many(app: App, lang: Lang, call: Awaitable[Replies], *, retry: bool = False) -> Replies:
    """handlers.errors.guarded for calls that answer with several replies."""
    try:
        return await call
    except ChatCrmError as exc:
        return Replies((app.error(lang, exc),))
    except Exception:
        if retry:
            raise
        logger.exception("handler failed")
        return Replies((app.generic_error(lang),))


def link_text(message: Inbound) -> str:
    """A shared link (an article, a customer's page) captured as text: title, description and URL."""
    return "\n".join(part for part in (message.title, message.description, message.url) if part)


class WeChatHandler:
    """Handles one message of one user; the caller runs one user's messages in order."""

    def __init__(
        self,
        app: App,
        api: WeChatApi,
        *,
        max_file_bytes: int,
        channel: Channel = Channel.WECHAT,
        inbound_leads: bool = False,
    ) -> None:
        self.app = app
        self.api = api
        self.max_file_bytes = max_file_bytes
        self.inbound_leads = inbound_leads
        self.conversation = TextConversation(app, invite_template="/start {code}", channel=channel)

    async def handle(self, message: Inbound, *, final: bool = True) -> None:
        """Answers the message. Unless it is the `final` attempt, a failure that is no domain error is
        raised rather than apologised for: the inbox tries the message again."""
        retry = not final
        who = newcomer(message)
        if message.kind in ("text", "link"):
            text = message.text if message.kind == "text" else link_text(message)
            if (
                self.inbound_leads
                and not text.lstrip().startswith("/")
                and await self.app.identify(who) is None
            ):
                # A customer writing to the Official Account: an inbound lead, not the onboarding text.
                reply = await guarded(self.app, Lang.ZH, self.app.stranger(who, text), retry=retry)
                await self._send(message, None, Lang.ZH, reply)
                return
            answer = await self.conversation.respond(who, text, key=message.key, retry=retry)
            # A number that picked a choice is remembered with its answer's menu: handled again (the
            # inbox's retry), it must not pick from that menu (the confirmation it just offered).
            answering = message.key if answer.picked else None
            await self._send(message, answer.member, answer.lang, answer.reply, answering=answering)
            return
        if message.kind == "event":
            await self._event(who, message, retry=retry)
            return
        member = await self.app.identify(who)
        if member is None:
            await self._send(message, None, Lang.ZH, self.app.onboarding(who.language_code))
            return
        if message.kind == "image" and message.media_id:
            # One photo per WeChat message, no caption: deal evidence when the app's routes say so,
            # else a business card.
            photo = CardPhoto(
                fetch=self._fetch(message.media_id),
                key=message.key,
                name=f"{message.media_id}.jpg",
                max_bytes=self.max_file_bytes,
            )
            replies = await guarded_many(
                self.app, member.lang, self.app.photos(member, Photos((photo,))), retry=retry
            )
            for reply in replies.items:
                await self._send(message, member, member.lang, reply)
            return
        reply = await guarded(self.app, member.lang, self._member_message(member, message), retry=retry)
        await self._send(message, member, member.lang, reply)

    async def unprocessed(self, message: Inbound) -> None:
        """Tells the sender that their message could not be handled (the inbox's last attempt failed)."""
        member = await self.app.identify(newcomer(message))
        lang = member.lang if member is not None else Lang.ZH
        await self._send(message, None, lang, self.app.unprocessed(lang))

    async def _member_message(self, member: Member, message: Inbound) -> Reply:
        if message.kind == "location" and message.latitude is not None and message.longitude is not None:
            place = Place(message.latitude, message.longitude, message.label)
            return await self.app.check_in(member, place, message.key)
        if message.kind == "voice" and message.media_id:
            # WeChat's own Recognition text (when switched on) is not used: our engine transcribes
            # with the rep's customer names as its prompt, which is what makes names come out right.
            note = VoiceNote(
                fetch=self._fetch(message.media_id),
                key=message.key,
                filename=f"{message.media_id}.{message.media_format or 'amr'}",
                mime="audio/amr" if message.media_format in (None, "amr") else None,
                max_bytes=self.max_file_bytes,
            )
            return await self.app.voice_note(member, note, self._status(message))
        if message.kind == "file" and message.media_id:
            # A document, through the app's file routes: a spreadsheet to import (asked, or after
            # /import: WeChat files carry no caption), else deal evidence (PDF, DOCX, XLSX).
            upload = Upload(
                fetch=self._fetch(message.media_id),
                name=message.filename,
                key=message.key,
                max_bytes=self.max_file_bytes,
                captions=False,
            )
            return await self.app.upload(member, upload)
        logger.info("unsupported %s message type %r", message.channel.value, message.kind)
        return self.app.unsupported(member)

    def _fetch(self, media_id: str) -> Callable[[], Awaitable[bytes]]:
        """Downloads a message's media when the service asks for it (media ids live three days), once:
        a file route that looked at a file and left it to the next one costs no second download."""
        fetched: list[bytes] = []

        async def fetch() -> bytes:
            if not fetched:
                fetched.append(await download())
            return fetched[0]

        async def download() -> bytes:
            try:
                media = await self.api.download(media_id, self.max_file_bytes)
            except MediaTooLarge as exc:
                raise InputRejected("media.too_large", limit=max(1, exc.limit_bytes // MB)) from exc
            except MediaUnavailable as exc:
                logger.warning("media of a WeChat message not fetched: %s", exc)
                raise InputRejected("media.fetch_failed") from exc
            return media.data

        return fetch

    def _status(self, message: Inbound) -> Callable[[Reply], Awaitable[None]]:
        """WeChat cannot edit a sent message: the first status ("transcribing…") is sent, later
        progress updates are dropped, and the minutes follow as their own message."""
        sent = False

        async def show(reply: Reply) -> None:
            nonlocal sent
            if not sent:
                sent = True
                try:
                    await render.send(self.api, message.sender, reply.text)
                except DeliveryFailed as exc:
                    logger.warning("voice status not delivered: %s", exc)

        return show

    async def _event(self, who: Newcomer, message: Inbound, *, retry: bool) -> None:
        if message.event in GREETING_EVENTS:
            reply = await guarded(self.app, Lang.ZH, self.app.greet(who), retry=retry)
            member = await self.app.identify(who)
            await self._send(message, member, member.lang if member else Lang.ZH, reply)
            return
        if message.event not in SILENT_EVENTS:
            logger.info("unhandled %s event %r", message.channel.value, message.event)

    async def _send(
        self,
        message: Inbound,
        member: Member | None,
        lang: Lang,
        reply: Reply,
        *,
        answering: str | None = None,
    ) -> None:
        member_id = member.id if member else None
        text = await self.conversation.menus.render(member_id, lang, reply, answering=answering)
        try:
            await render.send(self.api, message.sender, text, reply.attachment)
        except DeliveryFailed as exc:
            # The message itself was handled (what it said is stored); only its answer is lost, and
            # handling it again would not bring that answer back (the API client already retried).
            logger.warning("reply to a %s message not delivered: %s", message.channel.value, exc)
