"""The application object the channels talk to: one call per kind of input, a Reply back.

Handlers unpack a channel's update into these calls and render the Reply; every decision is made in
the features (chat/features.py) and the crm services behind them, so Telegram, WeChat and the console
behave the same. Nothing here decides anything: each call goes to the registry or to one feature.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chat import errors
from chat.features import Limits, build
from chat.messages import t
from chat.ports import Notifier, Ports
from chat.views import Replies, Reply
from chat.voice.controller import StatusSink
from crm.errors import ChatCrmError
from crm.inputs import ChatMessage, Newcomer, Photos, Place, Upload, VoiceNote
from crm.model import DEFAULT_TIMEZONE, Lang, Member

__all__ = ["App", "Ports"]


class App:
    """chatcrm's use cases, as the channels see them."""

    def __init__(
        self,
        ports: Ports,
        *,
        default_timezone: str = DEFAULT_TIMEZONE,
        max_file_mb: int = 20,
        ocr_workers: int = 1,
    ) -> None:
        features = build(ports, Limits(default_timezone, max_file_mb, ocr_workers))
        self.ports = ports
        self.registry = features.registry
        self.features = features
        # The domain services, for the composition root, the command line and tests.
        self.members = features.members
        self.roster = features.roster
        self.capture = features.capture
        self.customers = features.customers
        self.reminders = features.reminders
        self.links = features.links
        self.checkins = features.checkins
        self.inbox = features.inbox
        self.menus = features.menus
        self.voice = features.voice
        self.deals = features.deals
        self.digests = features.digests
        self.cards = features.cards
        self.imports = features.imports
        self.exports = features.exports
        self.pool = features.pool
        self.reclaim = features.reclaim
        self.intake = features.intake
        self.history = features.history
        self.data_health = features.data_health

    # --- who is talking -------------------------------------------------------------------------

    async def identify(self, newcomer: Newcomer) -> Member | None:
        return await self.features.onboarding.identify(newcomer)

    async def start(self, newcomer: Newcomer, invite_code: str | None, *, on_server: bool = False) -> Reply:
        """/start with an invite or the admin claim code; `on_server` for the person at the server's
        console, who founds a fresh installation's team without the claim code."""
        return await self.features.onboarding.start(newcomer, invite_code, on_server=on_server)

    def unknown(self, language_code: str | None) -> Reply:
        """What someone who is not a member gets, whatever they send. Nothing of theirs is stored."""
        return self.features.onboarding.unknown(language_code)

    def help(self, actor: Member) -> Reply:
        return self.features.onboarding.help(actor)

    async def invite(self, actor: Member, role_text: str, link_template: str) -> Reply:
        """`link_template` has a {code} field: a Telegram deep link, or what to send on WeChat."""
        return await self.features.onboarding.invite(actor, role_text, link_template)

    async def redeem_link(self, who: Newcomer, code: str) -> Reply:
        """ "/link CODE" from someone who already uses chatcrm on another channel."""
        return await self.features.channels.redeem(who, code)

    async def greet(self, who: Newcomer) -> Reply:
        """Someone followed the Official Account or opened the WeCom app."""
        return await self.features.channels.greet(who)

    def onboarding(self, language_code: str | None) -> Reply:
        """What a non-member gets on a text channel: how to join by code, or link an existing account."""
        return self.features.channels.onboarding(language_code)

    # --- what members send ----------------------------------------------------------------------

    async def chat(self, actor: Member, messages: Sequence[ChatMessage]) -> Reply:
        """A forwarded burst or a pasted chat."""
        return await self.features.leads.chat(actor, messages)

    async def text(
        self, actor: Member, text: str, key: str | None = None, reply_to: str | None = None
    ) -> Reply:
        """Typed text: a pending answer, what a feature recognizes, else a capture. `reply_to` is the
        text of the message it replies to, on channels that have replies."""
        return await self.registry.text(actor, text, key, reply_to)

    async def command(self, actor: Member, name: str, args: str) -> Reply:
        return await self.registry.command(actor, name, args)

    def command_names(self) -> list[str]:
        return self.registry.command_names()

    async def press(self, actor: Member, act: str, target: int, arg: str) -> Reply:
        """A button: the same action whether tapped on Telegram or chosen by number elsewhere."""
        return await self.registry.press(actor, act, target, arg)

    async def upload(self, actor: Member, upload: Upload) -> Reply:
        """A document or photo: deal evidence when it is one, else a business card for a photo, else
        a note of what files are understood."""
        return await self.registry.upload(actor, upload)

    async def photos(self, actor: Member, photos: Photos) -> Replies:
        """Photos sent together (one, or an album): deal evidence when a caption or reply names a
        deal, else business cards."""
        return await self.registry.photos(actor, photos)

    async def voice_note(self, actor: Member, note: VoiceNote, status: StatusSink | None = None) -> Reply:
        """A voice note, audio file or video note: the minutes card, or why it was refused; `status`
        shows progress while a longer note is worked on."""
        return await self.features.voice_notes.note(actor, note, status)

    async def check_in(self, actor: Member, place: Place, key: str | None = None) -> Reply:
        """A location the member shared: a check-in on the customer they are visiting."""
        return await self.features.channels.check_in(actor, place, key)

    async def stranger(self, who: Newcomer, text: str) -> Reply:
        """A stranger's message on a channel that takes inbound leads (WECHAT_INBOUND_LEADS)."""
        return await self.features.territories.stranger(who, text)

    def unsupported(self, actor: Member) -> Reply:
        return self.features.leads.unsupported(actor)

    # --- errors and jobs ------------------------------------------------------------------------

    def error(self, lang: Lang, exc: ChatCrmError) -> Reply:
        return errors.error(lang, exc)

    def generic_error(self, lang: Lang) -> Reply:
        return errors.generic(lang)

    def unprocessed(self, lang: Lang) -> Reply:
        """What a member is told of a message that could not be handled after its last attempt."""
        return errors.unprocessed(lang)

    def private_only(self, lang: Lang) -> Reply:
        """The answer in a group or channel: chatcrm works in private chats only."""
        return Reply(t(lang, "chat.private_only"))

    async def resume_voice_notes(self, notifier: Notifier, ready: Callable[[], bool] | None = None) -> int:
        """At start: the notes a stopped process left unfinished, transcribed and their minutes sent."""
        return await self.features.voice_notes.resume(notifier, ready)
