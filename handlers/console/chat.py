"""The console chat: `chatcrm run` without a messenger. A pasted chat ends at an empty line (or EOF);
a line starting with "/" is a command; a number picks a button of the last reply."""

from __future__ import annotations

import getpass
import locale
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from chat.app import App
from chat.messages import t
from chat.views import Reply
from crm.inputs import CardPhoto, Newcomer, Photos, VoiceNote
from crm.model import Channel, Lang
from handlers.textchat import TextConversation, parse_command

logger = logging.getLogger(__name__)


def console_user() -> Newcomer:
    """The person at the terminal, identified by their operating-system account."""
    user = getpass.getuser()
    lang = os.environ.get("LANG") or (locale.getlocale()[0] or "")
    if lang.split(".")[0] in ("C", "POSIX"):
        # A server's default locale says nothing of its operator: their first messages will.
        lang = ""
    return Newcomer(Channel.CONSOLE, external_id=user, chat_id=user, name=user, language_code=lang or None)


class ConsoleChat:
    def __init__(self, app: App, write: Callable[[str], None], who: Newcomer | None = None) -> None:
        self.conversation = TextConversation(
            app, invite_template="/start {code}", channel=Channel.CONSOLE, on_server=True
        )
        self.write = write
        self.who = who or console_user()
        self._counter = 0

    async def run(self, lines: AsyncIterator[str]) -> None:
        """Reads until EOF. On first use the console user joins automatically: the person at the
        server's terminal is its operator, so an empty installation makes them the admin."""
        member = await self.conversation.app.identify(self.who)
        if member is None:
            self.write(await self.conversation.handle(self.who, "/start"))
            member = await self.conversation.app.identify(self.who)
        lang = member.lang if member else Lang.from_code(self.who.language_code)
        self.write(t(lang, "console.banner"))
        block: list[str] = []
        async for raw in lines:
            line = raw.rstrip("\n")
            if not block and (parse_command(line) is not None or line.strip().isdigit()):
                await self._send(line)
            elif line.strip():
                block.append(line)
            elif block:
                await self._send("\n".join(block))
                block = []
        if block:
            await self._send("\n".join(block))

    async def _send(self, text: str) -> None:
        self._counter += 1
        command = parse_command(text)
        if command is not None and command.name == "voice":
            # Console only: the person at the server's terminal may name a file on the server.
            self.write(await self._voice(command.args))
            return
        if command is not None and command.name == "card":
            # Console only, like /voice: image files on the server, front (and back) of one card.
            self.write(await self._card(command.args))
            return
        reply = await self.conversation.handle(self.who, text, key=None)
        self.write(reply)

    async def _voice(self, args: str) -> str:
        if not args.strip():
            member = await self.conversation.app.identify(self.who)
            return t(member.lang if member else Lang.from_code(self.who.language_code), "voice.usage")
        path = Path(args.strip())

        async def status(reply: Reply) -> None:
            self.write(reply.text)

        return await self.conversation.voice(self.who, lambda: VoiceNote.from_path(path), status)

    async def _card(self, args: str) -> str:
        paths = [Path(part) for part in args.split()]
        if not paths:
            member = await self.conversation.app.identify(self.who)
            return t(member.lang if member else Lang.from_code(self.who.language_code), "card.console.usage")
        return await self.conversation.photos(
            self.who, lambda: Photos(tuple(CardPhoto.from_path(path) for path in paths))
        )
