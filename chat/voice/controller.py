"""Voice notes as every channel sees them: a recording in, the minutes card out (with a status message
while a longer one is worked on); the minutes' buttons (customer, edit, discard, retry) and their
typed answers; /terms; and, after a restart, the minutes of notes a stopped process left unfinished.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from chat.delivery import deliver
from chat.ports import Notifier
from chat.registry import Registry
from chat.views import Act, Reply
from chat.voice import view
from crm.errors import AudioRejected
from crm.inputs import VoiceNote
from crm.members import MemberService
from crm.model import Member
from crm.text import one_line
from crm.voice import EDITABLE, Progress, ProgressSink, VoiceResult, VoiceService

logger = logging.getLogger(__name__)

# A channel's status message: shown, then edited (or, where messages cannot be edited, sent once).
StatusSink = Callable[[Reply], Awaitable[None]]


class VoiceNotes:
    """The voice feature on every channel."""

    def __init__(self, voice: VoiceService, members: MemberService) -> None:
        self.voice = voice
        self.members = members

    def register(self, registry: Registry) -> None:
        registry.buttons(
            {
                Act.MINUTES_CUSTOMER: self._customer_button,
                Act.MINUTES_DISCARD: self._discard_button,
                Act.MINUTES_EDIT: self._edit_button,
                Act.VOICE_RETRY: self._retry_button,
            }
        )
        registry.commands({"terms": self.terms})
        registry.awaiting("minutes_customer", self._answer_customer)
        registry.awaiting("minutes_field", self._answer_field)

    # --- a note in, a reply out ---------------------------------------------------------------

    async def note(self, actor: Member, note: VoiceNote, status: StatusSink | None = None) -> Reply:
        """A voice note, audio file or video note: the minutes card, or why it was refused.

        `status` (optional) shows a status message while a longer note waits and is transcribed;
        the reply returned is meant to replace it.
        """
        try:
            result = await self.process(actor, note, status)
        except AudioRejected as exc:
            return view.rejected(actor.lang, exc)
        return view.result(actor, result)

    async def process(self, actor: Member, note: VoiceNote, status: StatusSink | None = None) -> VoiceResult:
        """What became of a note, its progress shown on `status` in the member's language."""
        return await self.voice.process(actor, note, _shown(actor, status))

    # --- after a restart ------------------------------------------------------------------------

    async def resume(self, notifier: Notifier, ready: Callable[[], bool] | None = None) -> int:
        """Transcribes the notes a previous process left half done and sends each author the minutes
        on their first channel that takes them. Run once at start; returns how many."""
        stuck = await self.voice.unfinished(ready)
        done = 0
        for interaction in stuck:
            resumed = await self.voice.resume(interaction)
            if resumed is None:
                continue
            member, outcome = resumed
            if isinstance(outcome, AudioRejected):
                reply = view.rejected(member.lang, outcome)
            else:
                reply = view.result(member, outcome)
            done += 1
            identities = await self.members.identities(member.id)
            await deliver(notifier, identities, reply, what=f"minutes {interaction.id}")
        if stuck:
            logger.info("resumed %d of %d unfinished voice note(s)", done, len(stuck))
        return done

    # --- /terms -------------------------------------------------------------------------------

    async def terms(self, actor: Member, args: str) -> Reply:
        """/terms shows the team's product terms; managers set them: /terms 词1，词2 (or "-" to clear)."""
        if not args.strip():
            return view.terms(actor.lang, await self.voice.terms(actor))
        count = await self.voice.set_terms(actor, args)
        return view.text(actor.lang, "terms.set", count=count)

    # --- buttons ------------------------------------------------------------------------------

    async def _customer_button(self, actor: Member, target: int, arg: str) -> Reply:
        if not arg:
            minutes = await self.voice.minutes(actor, target)
            choices = await self.voice.choices(actor, minutes)
            return view.customer_choices(actor.lang, target, choices)
        if arg == "new":
            minutes = await self.voice.minutes(actor, target)
            # Unplaced minutes that name a company become that customer at once; otherwise the name
            # the note gave is the one that was wrong, so ask for the right one.
            if minutes.customer is None and minutes.facts.company:
                result = await self.voice.set_customer(actor, target, None, name=minutes.facts.company)
                return view.card(actor, result, headline_customer=True)
            await self.members.set_awaiting(actor, {"kind": "minutes_customer", "interaction": target})
            return view.text(actor.lang, "minutes.customer_prompt")
        result = await self.voice.set_customer(actor, target, int(arg))
        return view.card(actor, result, headline_customer=True)

    async def _answer_customer(self, actor: Member, awaiting: dict[str, Any], text: str) -> Reply:
        name = one_line(text, limit=200)
        result = await self.voice.set_customer(actor, int(awaiting["interaction"]), None, name=name)
        await self.members.set_awaiting(actor, None)
        return view.card(actor, result, headline_customer=True)

    async def _discard_button(self, actor: Member, target: int, _arg: str) -> Reply:
        await self.voice.discard(actor, target)
        return view.text(actor.lang, "minutes.discarded")

    async def _edit_button(self, actor: Member, target: int, arg: str) -> Reply:
        await self.voice.minutes(actor, target)  # only minutes the member may change
        if arg not in EDITABLE:
            return view.edit_menu(actor.lang, target, EDITABLE)
        await self.members.set_awaiting(actor, {"kind": "minutes_field", "interaction": target, "field": arg})
        return view.edit_prompt(actor.lang, arg)

    async def _answer_field(self, actor: Member, awaiting: dict[str, Any], text: str) -> Reply:
        # A rejected value raises InputRejected and keeps the question open for a better answer.
        result = await self.voice.edit(actor, int(awaiting["interaction"]), str(awaiting["field"]), text)
        await self.members.set_awaiting(actor, None)
        return view.card(actor, result, headline_key="minutes.title.edited")

    async def _retry_button(self, actor: Member, target: int, arg: str) -> Reply:
        result = await self.voice.retry(actor, target, arg)
        return view.result(actor, result)


def _shown(actor: Member, status: StatusSink | None) -> ProgressSink | None:
    """The channel's status message fed with progress reports, in the member's language."""
    if status is None:
        return None
    sink = status

    async def show(report: Progress) -> None:
        await sink(view.progress(actor.lang, report))

    return show
