"""The registry and dispatch of the conversation: what features register, and how an input finds its
handler. No feature lives here; each registers itself from chat/features.py, in the order written
there.

A feature registers any of:

- commands ("/deals"), by name;
- button actions (an `Act`, or any other str enum with short unique codes), by code;
- pending answers: what the next typed text answers once a handler set `members.set_awaiting(kind)`;
- text recognizers: typed text the feature answers before it would be captured ("推进到方案匹配");
- file routes, asked in order until one takes the file; a route may also take albums of photos whole;
- the fallbacks: what typed text nobody recognized is (a capture), what a file nobody took gets.

Dispatch order for typed text: a pending answer, then the recognizers, then the text fallback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chat.views import Replies, Reply, text
from crm.errors import NotFound
from crm.inputs import Photos, Upload
from crm.members import MemberService
from crm.model import Member

ButtonHandler = Callable[[Member, int, str], Awaitable[Reply]]
CommandHandler = Callable[[Member, str], Awaitable[Reply]]
AwaitingHandler = Callable[[Member, dict[str, Any], str], Awaitable[Reply]]
# Typed text a feature answers instead of a capture (text, the replied-to message's text, key), or None.
TextRecognizer = Callable[[Member, str, str | None, str | None], Awaitable[Reply | None]]
# What typed text nobody recognized becomes (text, key).
TextFallback = Callable[[Member, str, str | None], Awaitable[Reply]]
# A file or photo a feature takes (deal evidence, a business card), or None to leave it to the next.
FileRoute = Callable[[Member, Upload], Awaitable[Reply | None]]
# Photos sent together, taken whole by a route (a card's front and back make one contact).
AlbumRoute = Callable[[Member, Photos], Awaitable[Replies]]
FileFallback = Callable[[Member, Upload], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class _Route:
    take: FileRoute
    album: AlbumRoute | None


class Registry:
    """What every feature registered, and the dispatch of commands, buttons, text, files and photos."""

    def __init__(self, members: MemberService) -> None:
        self._members = members
        self._commands: dict[str, CommandHandler] = {}
        self._buttons: dict[str, ButtonHandler] = {}
        self._awaiting: dict[str, AwaitingHandler] = {}
        self._recognizers: list[TextRecognizer] = []
        self._routes: list[_Route] = []
        self._text_fallback: TextFallback | None = None
        self._file_fallback: FileFallback | None = None

    # --- registration ---------------------------------------------------------------------------

    def commands(self, handlers: Mapping[str, CommandHandler]) -> None:
        """Slash commands every channel offers (/start and /invite are the channels' own)."""
        clash = self._commands.keys() & handlers.keys()
        if clash:
            raise ValueError(f"commands registered twice: {sorted(clash)}")
        self._commands.update(handlers)

    def buttons(self, handlers: Mapping[str, ButtonHandler]) -> None:
        """Button actions; an action has exactly one handler. Codes are short (Telegram: 64 bytes)."""
        codes = {str(act): handler for act, handler in handlers.items()}
        clash = self._buttons.keys() & codes.keys()
        if clash:
            raise ValueError(f"button actions registered twice: {sorted(clash)}")
        self._buttons.update(codes)

    def awaiting(self, kind: str, handler: AwaitingHandler) -> None:
        """What answers a pending question of `kind` (set with members.set_awaiting)."""
        if kind in self._awaiting:
            raise ValueError(f"awaiting kind registered twice: {kind}")
        self._awaiting[kind] = handler

    def recognizer(self, recognizer: TextRecognizer) -> None:
        """Typed text a feature answers before it would be captured (keep recognizers narrow)."""
        self._recognizers.append(recognizer)

    def files(self, route: FileRoute, *, album: AlbumRoute | None = None) -> None:
        """A feature that takes files or photos; routes are asked in the order they registered. A
        route with `album` takes photos sent together whole: the routes after it never see them."""
        self._routes.append(_Route(route, album))

    def otherwise(self, *, text: TextFallback | None = None, file: FileFallback | None = None) -> None:
        """What typed text no recognizer answered becomes, and what a file no route took gets."""
        if text is not None:
            if self._text_fallback is not None:
                raise ValueError("the text fallback is registered twice")
            self._text_fallback = text
        if file is not None:
            if self._file_fallback is not None:
                raise ValueError("the file fallback is registered twice")
            self._file_fallback = file

    # --- dispatch -------------------------------------------------------------------------------

    def command_names(self) -> list[str]:
        return sorted(self._commands)

    async def command(self, actor: Member, name: str, args: str) -> Reply:
        handler = self._commands.get(name.lower())
        if handler is None:
            return text(actor.lang, "command.unknown", name=name)
        return await handler(actor, args)

    async def press(self, actor: Member, act: str, target: int, arg: str) -> Reply:
        """A button: the same action whether tapped on Telegram or chosen by number elsewhere."""
        handler = self._buttons.get(str(act))
        if handler is None:
            raise NotFound("error.stale_button")
        return await handler(actor, target, arg)

    async def text(
        self, actor: Member, said: str, key: str | None = None, reply_to: str | None = None
    ) -> Reply:
        """Typed text: the answer to a pending question if there is one, then what a feature
        recognizes, otherwise the text fallback. `reply_to` is the text of the message it replies to,
        on channels that have replies."""
        awaiting = self._members.pending_awaiting(actor)
        handler = self._awaiting.get(str(awaiting.get("kind"))) if awaiting is not None else None
        if awaiting is not None and handler is not None:
            return await handler(actor, awaiting, said)
        for recognize in self._recognizers:
            recognized = await recognize(actor, said, reply_to, key)
            if recognized is not None:
                return recognized
        if self._text_fallback is None:
            raise RuntimeError("no text fallback registered")
        return await self._text_fallback(actor, said, key)

    async def upload(self, actor: Member, upload: Upload) -> Reply:
        """A document or photo: the first route that takes it, else the file fallback."""
        return await self._route(self._routes, actor, upload)

    async def upload_after(self, route: FileRoute, actor: Member, upload: Upload) -> Reply:
        """A file handed on by the route that held it (it asked the member what the file is): the
        routes registered after that one, else the file fallback."""
        index = next((i for i, r in enumerate(self._routes) if r.take == route), None)
        if index is None:
            raise ValueError("not a registered file route")
        return await self._route(self._routes[index + 1 :], actor, upload)

    async def _route(self, routes: list[_Route], actor: Member, upload: Upload) -> Reply:
        for route in routes:
            reply = await route.take(actor, upload)
            if reply is not None:
                return reply
        if self._file_fallback is None:
            raise RuntimeError("no file fallback registered")
        return await self._file_fallback(actor, upload)

    async def photos(self, actor: Member, photos: Photos) -> Replies:
        """Photos sent together (one, or an album). The routes are asked in order with the first
        photo; one that takes it gets the others one by one as well. A route that takes albums takes
        them all at once."""
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
        for route in self._routes:
            if route.album is not None:
                return await route.album(actor, photos)
            taken = await route.take(actor, uploads[0])
            if taken is not None:
                return Replies((taken, *[await self.upload(actor, upload) for upload in uploads[1:]]))
        if self._file_fallback is None:
            raise RuntimeError("no file fallback registered")
        first = await self._file_fallback(actor, uploads[0])
        return Replies((first, *[await self.upload(actor, upload) for upload in uploads[1:]]))
