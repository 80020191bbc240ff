"""/history and its buttons: which customer, then its history page by page."""

from __future__ import annotations

from chat.history import view
from chat.registry import Registry
from chat.views import Reply
from crm.errors import NotFound
from crm.history import HistoryService
from crm.model import Customer, Member


class History:
    """The history feature: /history 客户名 (or #C12), the choice between namesakes, and paging."""

    def __init__(self, history: HistoryService) -> None:
        self.history = history

    def register(self, registry: Registry) -> None:
        registry.commands({"history": self.command})
        registry.buttons(
            {
                view.HistoryAct.OPEN: self._open,
                view.HistoryAct.OLDER: self._older,
                view.HistoryAct.NEWER: self._newer,
            }
        )

    async def command(self, actor: Member, args: str) -> Reply:
        if not args.strip():
            return view.usage(actor.lang)
        found = await self.history.find(actor, args)
        if isinstance(found, Customer):
            return view.page(actor, await self.history.customer(actor, found.id))
        return view.choices(actor.lang, found)

    async def _open(self, actor: Member, target: int, _arg: str) -> Reply:
        return view.page(actor, await self.history.customer(actor, target))

    async def _older(self, actor: Member, target: int, arg: str) -> Reply:
        page = await self.history.customer(actor, target, before=_cursor(arg))
        return view.page(actor, page, replace=True)

    async def _newer(self, actor: Member, target: int, arg: str) -> Reply:
        page = await self.history.customer(actor, target, after=_cursor(arg))
        return view.page(actor, page, replace=True)


def _cursor(arg: str) -> int:
    # An entry id from our own button; anything else (a forged callback) is a stale button.
    if not arg.isdigit() or len(arg) > 18:
        raise NotFound("error.stale_button")
    return int(arg)
