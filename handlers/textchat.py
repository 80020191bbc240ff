"""The conversation logic of text-only channels (the console, WeChat): commands, numbered buttons,
pending answers and captures. Telegram has its own routers with real buttons."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from chat.app import App
from chat.messages import t
from chat.views import Reply
from chat.voice.controller import StatusSink
from crm.inputs import Newcomer, Photos, VoiceNote
from crm.model import Channel, Lang, Member, MenuChoice
from crm.text import language_of
from handlers.errors import guarded

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Answer:
    member: Member | None
    lang: Lang
    reply: Reply
    picked: bool = False  # the text was a number that picked a menu choice


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str


def parse_command(text: str) -> Command | None:
    """ "/find 华为" -> Command("find", "华为"); "/start@bot code" drops the bot's name."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, args = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name.replace("_", "").isalnum():
        return None
    return Command(name, args.strip())


class Menus:
    """The buttons last offered to each member, so that a number typed back picks one. Kept in the
    database (crm.menus): the number may reach another process than the one that sent the menu."""

    def __init__(self, app: App, channel: Channel) -> None:
        self.app = app
        self.channel = channel

    async def render(
        self, member_id: int | None, lang: Lang, reply: Reply, *, answering: str | None = None
    ) -> str:
        """The reply as text with its buttons numbered (offered as the member's menu). `answering`:
        the key of a message that picked a choice, remembered with the menu (Menus.handled)."""
        buttons = reply.all_buttons()
        if member_id is None:
            return reply.text
        if not buttons:
            if answering is not None:
                await self.app.menus.offer(self.channel, member_id, None, answering=answering)
            return reply.text
        choices = [MenuChoice(b.label, str(b.act), b.target, b.arg) for b in buttons]
        await self.app.menus.offer(self.channel, member_id, choices, answering=answering)
        options = "\n".join(f"  {i}. {button.label}" for i, button in enumerate(buttons, 1))
        return f"{reply.text}\n\n{t(lang, 'menu.hint')}\n{options}"

    async def pick(self, member_id: int, text: str) -> MenuChoice | None:
        if not is_number(text):
            return None
        return await self.app.menus.pick(self.channel, member_id, int(text.strip()))

    async def handled(self, key: str | None, text: str) -> bool:
        """Whether this number, from the message `key`, picked and was answered before (the message
        is handled again): then the menu there is now came from its own answer."""
        return key is not None and is_number(text) and await self.app.menus.answered(self.channel, key)


def is_number(text: str) -> bool:
    choice = text.strip()
    return choice.isascii() and choice.isdigit() and len(choice) <= 3


class TextConversation:
    """Answers one text message on a text-only channel with the text to send back."""

    def __init__(self, app: App, invite_template: str, channel: Channel, *, on_server: bool = False) -> None:
        self.app = app
        self.invite_template = invite_template
        # The console: its user sits at the server, so they found a fresh team without the claim code.
        self.on_server = on_server
        self.menus = Menus(app, channel)

    async def handle(self, who: Newcomer, text: str, key: str | None = None) -> str:
        answer = await self.respond(who, text, key)
        return await self.menus.render(answer.member.id if answer.member else None, answer.lang, answer.reply)

    async def respond(
        self, who: Newcomer, text: str, key: str | None = None, *, retry: bool = False
    ) -> Answer:
        """The reply to one message and whom it is for (the member, once a /start or /link made one).
        With `retry`, a failure that is no domain error is raised (the inbox tries the message again)
        instead of answered."""
        said = language_of(text)
        if said is not None and who.language_code is None:
            # Text channels bring no language code: the message's own language stands in for it.
            who = dataclasses.replace(who, language_code=said)
        member = await self.app.identify(who)
        command = parse_command(text)
        if member is None:
            lang = Lang.from_code(who.language_code)
            if command is not None and command.name == "start":
                start = self.app.start(who, command.args or None, on_server=self.on_server)
                reply = await guarded(self.app, lang, start, retry=retry)
            elif command is not None and command.name == "link" and command.args:
                reply = await guarded(self.app, lang, self.app.redeem_link(who, command.args), retry=retry)
            else:
                # Text channels have no deep links: the onboarding says how to join by code or link.
                return Answer(None, lang, self.app.onboarding(who.language_code))
            member = await self.app.identify(who)
            return Answer(member, member.lang if member else lang, reply)
        # A member who never chose a language (/lang) speaks the one of their first clear message.
        member = await self.app.members.observe_language(member, said, settle=True)
        picked: list[bool] = []
        reply = await guarded(
            self.app, member.lang, self._dispatch(member, who, command, text, key, picked), retry=retry
        )
        return Answer(member, member.lang, reply, picked=bool(picked))

    async def render(self, member: Member, reply: Reply) -> str:
        return await self.menus.render(member.id, member.lang, reply)

    async def voice(
        self, who: Newcomer, note: Callable[[], VoiceNote], status: StatusSink | None = None
    ) -> str:
        """A recording (the console's /voice, a WeChat voice message): the minutes card as text.
        `note` unpacks it, inside the error guard (a missing file is answered, not raised)."""
        member = await self.app.identify(who)
        if member is None:
            return self.app.unknown(who.language_code).text

        async def minutes() -> Reply:
            return await self.app.voice_note(member, note(), status)

        reply = await guarded(self.app, member.lang, minutes())
        return await self.menus.render(member.id, member.lang, reply)

    async def photos(self, who: Newcomer, photos: Callable[[], Photos]) -> str:
        """Photos of a card (the console's /card, a WeChat image message): the contact card as text.
        `photos` unpacks them inside the error guard (a missing file is answered, not raised)."""
        member = await self.app.identify(who)
        if member is None:
            return self.app.unknown(who.language_code).text

        async def cards() -> Reply:
            return (await self.app.photos(member, photos())).as_one()

        reply = await guarded(self.app, member.lang, cards())
        return await self.menus.render(member.id, member.lang, reply)

    async def _dispatch(
        self,
        member: Member,
        who: Newcomer,
        command: Command | None,
        text: str,
        key: str | None,
        picked: list[bool] | None = None,
    ) -> Reply:
        app = self.app
        if command is None:
            if await self.menus.handled(key, text):
                return Reply(t(member.lang, "menu.handled"))
            choice = await self.menus.pick(member.id, text)
            if choice is not None:
                if picked is not None:
                    picked.append(True)
                return await app.press(member, choice.act, choice.target, choice.arg)
            return await app.text(member, text, key)
        if command.name == "start":
            return await app.start(who, command.args or None)
        if command.name == "invite":
            return await app.invite(member, command.args, self.invite_template)
        return await app.command(member, command.name, command.args)
