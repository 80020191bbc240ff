"""The card flow as every channel sees it: photos in, contact cards out, the "fix" buttons and the
typed answers to them, and /card (how to send a card; the console's own /card reads files)."""

from __future__ import annotations

from typing import Any

from chat.cards import view
from chat.registry import Registry
from chat.views import Act, Replies, Reply
from crm.cards import FIX_FIELDS, CardService
from crm.errors import NotFound
from crm.inputs import CardPhoto, Photos, Upload
from crm.members import MemberService
from crm.model import Member

FIX_KIND = "card_fix"


class Cards:
    """The card buttons, their pending answers, /card, and photos as cards."""

    def __init__(self, service: CardService, members: MemberService) -> None:
        self.service = service
        self.members = members

    def register(self, registry: Registry) -> None:
        registry.buttons({Act.CARD_FIX: self._fix_button})
        registry.awaiting(FIX_KIND, self._fix_answer)
        registry.commands({"card": self._usage})
        # A photo is a card when no route before this one took it; photos sent together are read
        # together (a card's front and back make one contact).
        registry.files(self.route, album=self.photos)

    async def route(self, actor: Member, upload: Upload) -> Reply | None:
        """A photo that no route before this one took is a card."""
        if not upload.is_photo:
            return None
        photo = CardPhoto(fetch=upload.fetch, key=upload.key, name=upload.name, size=upload.size)
        return (await self.photos(actor, Photos((photo,)))).items[0]

    async def photos(self, actor: Member, photos: Photos) -> Replies:
        outcomes = await self.service.capture(actor, photos.items)
        return view.replies(actor, outcomes)

    async def _usage(self, actor: Member, _args: str) -> Reply:
        # Only the console reads image files named in a command (they are on the server).
        return view.text(actor.lang, "card.usage")

    async def _fix_button(self, actor: Member, target: int, arg: str) -> Reply:
        if arg not in FIX_FIELDS:
            raise NotFound("error.stale_button")
        card, _, _ = await self.service.state(actor, target)
        await self.members.set_awaiting(actor, {"kind": FIX_KIND, "capture": target, "field": arg})
        return view.fix_prompt(actor.lang, card, arg)

    async def _fix_answer(self, actor: Member, awaiting: dict[str, Any], text: str) -> Reply:
        # A rejected value raises InputRejected and keeps the question open for a better answer.
        fixed = await self.service.fix(actor, int(str(awaiting["capture"])), str(awaiting["field"]), text)
        await self.members.set_awaiting(actor, None)
        return view.card_reply(actor, fixed, headline=view.fixed_headline(actor.lang))
