"""Leads as every channel sees them: a forwarded burst or typed text becomes a capture and its lead
card; the card's buttons confirm, correct, attach, merge; /find, /customer, /undo and /review.

Other features may add to a fresh lead card (`annotate`): the deals feature offers a captured chat as
evidence of its deal there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from chat.format import when
from chat.leads import view
from chat.messages import t
from chat.registry import Registry
from chat.views import Act, Button, Reply, rows, text
from crm.capture import CaptureResult, CaptureService, transcript
from crm.customers import CustomerService, EditableField
from crm.inputs import ChatMessage
from crm.members import MemberService
from crm.model import FollowUp, Member

# What a feature adds to the lead card of a fresh capture (given the captured text), or None.
Annotator = Callable[[Member, CaptureResult, str], Awaitable[view.Annotations | None]]
# What a forwarded burst becomes instead of a capture while the member has a question of that kind open
# (after /lead, the next forwarded chat is the lead to route).
BurstTaker = Callable[[Member, Sequence[ChatMessage]], Awaitable[Reply]]


class Leads:
    """Captures and the lead card's corrections."""

    def __init__(
        self,
        capture: CaptureService,
        customers: CustomerService,
        members: MemberService,
    ) -> None:
        self.capture = capture
        self.customers = customers
        self.members = members
        self._annotators: list[Annotator] = []
        self._takers: dict[str, BurstTaker] = {}

    def register(self, registry: Registry) -> None:
        registry.commands(
            {
                "find": self.find,
                "customer": self.customer,
                "undo": self._undo,
                "review": self._review,
            }
        )
        registry.buttons(
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
            }
        )
        registry.awaiting("field", self._answer_field)
        # Typed text that no feature recognized is a capture: a pasted chat or a note.
        registry.otherwise(text=self._typed)

    def annotate(self, annotator: Annotator) -> None:
        """Something another feature adds to the lead card of a fresh capture."""
        self._annotators.append(annotator)

    def take_bursts(self, kind: str, taker: BurstTaker) -> None:
        """Forwarded bursts go to `taker` while the member's pending question is of `kind`."""
        self._takers[kind] = taker

    # --- capture --------------------------------------------------------------------------------

    async def chat(self, actor: Member, messages: Sequence[ChatMessage]) -> Reply:
        """A forwarded burst or a pasted chat."""
        awaiting = self.members.pending_awaiting(actor)
        taker = self._takers.get(str(awaiting.get("kind"))) if awaiting is not None else None
        if taker is not None:
            return await taker(actor, messages)
        result = await self.capture.chat(actor, messages)
        notes = await self._notes(actor, result, transcript(messages))
        return view.lead_card(actor, result, notes=notes)

    async def _typed(self, actor: Member, said: str, key: str | None) -> Reply:
        return await self.chat(actor, [ChatMessage(text=said, key=key)])

    async def _notes(self, actor: Member, result: CaptureResult, said: str) -> view.Annotations | None:
        found = [note for annotate in self._annotators if (note := await annotate(actor, result, said))]
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        return view.Annotations(
            marks={mark: shown for note in found for mark, shown in note.marks.items()},
            lines=tuple(line for note in found for line in note.lines),
            buttons=tuple(row for note in found for row in note.buttons),
            footer=tuple(line for note in found for line in note.footer),
            footer_buttons=tuple(row for note in found for row in note.footer_buttons),
        )

    def unsupported(self, actor: Member) -> Reply:
        return text(actor.lang, "input.unsupported")

    async def _answer_field(self, actor: Member, awaiting: dict[str, Any], said: str) -> Reply:
        capture = int(str(awaiting["capture"]))
        field = EditableField(str(awaiting["field"]))
        # A rejected value raises InputRejected and keeps the question open for a better answer.
        result = await self.customers.edit(actor, capture, field, said)
        await self.members.set_awaiting(actor, None)
        return view.lead_card(actor, result, headline=t(actor.lang, "lead.edited"))

    # --- buttons --------------------------------------------------------------------------------

    async def _confirm(self, actor: Member, target: int, _arg: str) -> Reply:
        result = await self.customers.confirm(actor, target)
        return view.lead_card(actor, result, headline=t(actor.lang, "lead.confirmed"))

    async def _edit_menu(self, actor: Member, target: int, _arg: str) -> Reply:
        await self.customers.lead(actor, target)  # only captures the member may see
        return view.edit_menu(actor.lang, target)

    async def _edit_field(self, actor: Member, target: int, arg: str) -> Reply:
        field = EditableField(arg)
        await self.customers.lead(actor, target)
        await self.members.set_awaiting(actor, {"kind": "field", "capture": target, "field": field.value})
        return text(actor.lang, "edit.prompt", field=t(actor.lang, f"field.{field.value}"))

    async def _follow_up(self, actor: Member, target: int, arg: str) -> Reply:
        if not arg:
            return Reply(t(actor.lang, "follow_up.choose"), view.follow_up_buttons(actor.lang, target))
        result = await self.customers.set_follow_up(actor, target, FollowUp(arg))
        return view.lead_card(actor, result, headline=t(actor.lang, "lead.edited"))

    async def _attach_menu(self, actor: Member, target: int, _arg: str) -> Reply:
        lead = await self.customers.lead(actor, target)
        customers = await self.customers.recent(actor)
        return view.attach_menu(actor.lang, target, customers, lead.customer.id if lead.customer else None)

    async def _attach_to(self, actor: Member, target: int, arg: str) -> Reply:
        result = await self.customers.attach(actor, target, int(arg))
        return view.lead_card(actor, result, headline=t(actor.lang, "lead.edited"))

    async def _merge(self, actor: Member, target: int, _arg: str) -> Reply:
        merged = await self.customers.merge(actor, target)
        name = merged.survivor.name or view.customer_name(actor.lang, merged.customer)
        return Reply(
            t(actor.lang, "merge.done", name=name),
            rows(Button(t(actor.lang, "button.undo_merge"), Act.UNDO_MERGE, merged.merge.id)),
        )

    async def _keep_separate(self, actor: Member, target: int, _arg: str) -> Reply:
        await self.customers.keep_separate(actor, target)
        return text(actor.lang, "merge.kept")

    async def _undo_merge(self, actor: Member, target: int, _arg: str) -> Reply:
        result = await self.customers.undo_merge(actor, target)
        kept = view.kept_lines(actor, result.undone.kept)
        return Reply("\n".join([t(actor.lang, "merge.undone"), *kept]))

    async def _open_customer(self, actor: Member, target: int, _arg: str) -> Reply:
        card = await self.customers.card(actor, target)
        if isinstance(card, list):
            return view.customer_list(actor.lang, card, "customer.choose")
        return view.customer_card(actor, card)

    async def _retry(self, actor: Member, _target: int, arg: str) -> Reply:
        retried = await self.capture.retry(actor, arg)
        if retried is None:
            return text(actor.lang, "error.retry_gone")
        return view.lead_card(actor, retried)

    # --- reading --------------------------------------------------------------------------------

    async def find(self, actor: Member, query: str) -> Reply:
        if not query.strip():
            return text(actor.lang, "find.usage")
        found = await self.customers.search(actor, query)
        if not found:
            return text(actor.lang, "customer.not_found", query=query.strip())
        return view.found_list(actor.lang, found)

    async def customer(self, actor: Member, name: str) -> Reply:
        if not name.strip():
            return text(actor.lang, "customer.usage")
        card = await self.customers.card(actor, name)
        if isinstance(card, list):
            return view.customer_list(actor.lang, card, "customer.choose")
        return view.customer_card(actor, card)

    async def undo(self, actor: Member) -> Reply:
        result = await self.customers.undo_last_capture(actor)
        head = t(actor.lang, "undo.done", when=when(actor.lang, result.interaction.created_at, actor.tz))
        return Reply("\n".join([head, *view.kept_lines(actor, result.undone.kept)]))

    async def _undo(self, actor: Member, _args: str) -> Reply:
        return await self.undo(actor)

    async def _review(self, actor: Member, _args: str) -> Reply:
        return view.review_list(actor.lang, await self.customers.review(actor))
