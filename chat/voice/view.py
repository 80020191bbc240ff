"""The minutes card and the other replies of voice notes, localized and channel-neutral."""

from __future__ import annotations

from collections.abc import Sequence

from chat import format as fmt
from chat.errors import message
from chat.messages import t
from chat.views import Act, Button, Reply, rows
from crm.errors import ChatCrmError
from crm.facts import Party
from crm.model import Customer, Lang, Member
from crm.voice import Minutes, Outcome, Progress, Stage, Step, VoiceResult

EXCERPT_CHARS = 160


def text(lang: Lang, key: str, **params: object) -> Reply:
    return Reply(t(lang, key, **params))


def rejected(lang: Lang, exc: ChatCrmError) -> Reply:
    return Reply(message(lang, exc))


def length(lang: Lang, seconds: float) -> str:
    """62.4 -> "1 分 2 秒" / "1 min 2 s"."""
    whole = round(seconds)
    if whole < 60:
        return t(lang, "voice.length.seconds", seconds=whole)
    return t(lang, "voice.length.minutes", minutes=whole // 60, seconds=whole % 60)


def progress(lang: Lang, report: Progress) -> Reply:
    """The status message while a note waits, is transcribed, and its minutes are written."""
    if report.stage is Stage.QUEUED:
        shown = length(lang, report.seconds) if report.seconds else "?"
        return Reply(t(lang, "voice.status.queued", length=shown, ahead=report.ahead))
    if report.stage is Stage.TRANSCRIBING:
        return Reply(t(lang, "voice.status.progress", percent=report.percent))
    return Reply(t(lang, "voice.status.minutes"))


def result(member: Member, outcome: VoiceResult) -> Reply:
    lang = member.lang
    if outcome.step is Step.MINUTES and outcome.minutes is not None:
        return card(member, outcome.minutes)
    if outcome.step is Step.PENDING:
        return text(lang, "voice.pending")
    if outcome.step is Step.SPOOLED:
        return Reply(
            t(lang, "voice.storage_unavailable"),
            rows(Button(t(lang, "button.voice.retry"), Act.VOICE_RETRY, 0, outcome.retry_token or "")),
        )
    key = "voice.unavailable" if outcome.step is Step.UNAVAILABLE else "voice.failed"
    return Reply(
        t(lang, key),
        rows(Button(t(lang, "button.voice.retry"), Act.VOICE_RETRY, outcome.interaction_id or 0)),
    )


def _line(lang: Lang, icon: str, field: str, value: str) -> str:
    sep = "：" if lang is Lang.ZH else ": "
    return f"{icon} {t(lang, f'field.{field}')}{sep}{value}"


def _join(lang: Lang, items: Sequence[str]) -> str:
    return ("、" if lang is Lang.ZH else ", ").join(items)


def _excerpt(transcript: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(transcript.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def card(
    member: Member,
    minutes: Minutes,
    *,
    headline_customer: bool = False,
    headline_key: str | None = None,
) -> Reply:
    """The minutes card: who, what was said, who decides, who promised what by when, what is next."""
    lang, tz = member.lang, member.tz
    facts = minutes.facts
    customer, contact = minutes.customer, minutes.contact
    if headline_customer and customer is not None:
        head = t(lang, "minutes.title.customer_set", customer=customer_name(lang, customer))
    elif headline_key:
        head = t(lang, headline_key)
    elif minutes.outcome is Outcome.REPEATED:
        head = t(lang, "minutes.title.repeated")
    else:
        head = t(lang, "minutes.title")
    lines = [head]
    if customer is not None:
        new = t(lang, "minutes.new_customer") if minutes.created_customer else ""
        lines.append(_line(lang, "🏢", "customer", customer_name(lang, customer) + new))
    else:
        lines.append(t(lang, "minutes.no_customer"))
    if contact is not None and contact.name:
        person = f"{contact.name} · {contact.title}" if contact.title else contact.name
        lines.append(_line(lang, "👤", "contact", person))
    if facts.summary:
        lines.append(t(lang, "minutes.summary", text=facts.summary))
    details = len(lines)
    if facts.needs:
        lines.append(_line(lang, "🎯", "needs", _join(lang, facts.needs)))
    if facts.budget is not None and facts.budget.currency != "CNY":
        lines.append(_line(lang, "💰", "budget", fmt.budget(lang, facts.budget)))
    elif facts.budget_cny is not None:
        lines.append(
            _line(lang, "💰", "budget", fmt.money_range(lang, facts.budget_min_cny, facts.budget_cny))
        )
    if facts.timeline:
        by = t(lang, "lead.timeline_by", date=fmt.day(lang, facts.timeline_by)) if facts.timeline_by else ""
        lines.append(_line(lang, "🗓", "timeline", f"{facts.timeline}{by}"))
    deciders = [p for p in facts.people if p.role is not None]
    if deciders:
        names = [f"{p.name}（{t(lang, f'decision_role.{p.role.value}')}）" for p in deciders if p.role]
        sep = "：" if lang is Lang.ZH else ": "
        lines.append(f"👥 {t(lang, 'minutes.decision_makers')}{sep}{_join(lang, names)}")
    if facts.commitments:
        lines.append(t(lang, "minutes.commitments"))
        for commitment in facts.commitments:
            party = t(lang, "lead.party.us" if commitment.by is Party.US else "lead.party.customer")
            due = f"（{fmt.when(lang, commitment.due, tz)}）" if commitment.due else ""
            lines.append(f"  • [{party}] {commitment.text}{due}")
    if facts.todos:
        lines.append(t(lang, "minutes.todos"))
        for todo in facts.todos:
            due = f"（{fmt.when(lang, todo.due, tz)}）" if todo.due else ""
            lines.append(f"  • {todo.text}{due}")
    if facts.next_meeting is not None:
        lines.append(_line(lang, "📅", "next_meeting", fmt.when(lang, facts.next_meeting, tz)))
    if minutes.reminders:
        first = min(minutes.reminders, key=lambda r: r.due_at)
        lines.append(
            t(lang, "lead.reminders", count=len(minutes.reminders), first=fmt.when(lang, first.due_at, tz))
        )
    if len(lines) == details:
        lines.append(t(lang, "minutes.nothing"))
    if minutes.transcript:
        lines.append(t(lang, "minutes.transcript", text=_excerpt(minutes.transcript)))
    voice = minutes.voice
    seconds = voice.get("audio_seconds")
    if isinstance(seconds, int | float) and seconds > 0:
        language = voice.get("language") or ""
        label = t(lang, f"minutes.language.{language}") if language in ("zh", "en") else language
        lines.append(t(lang, "minutes.audio", length=length(lang, float(seconds)), language=label))
    if customer is None:
        lines.append("")
        lines.append(t(lang, "minutes.ask"))
    return Reply("\n".join(lines), _buttons(lang, minutes))


def _buttons(lang: Lang, minutes: Minutes) -> tuple[tuple[Button, ...], ...]:
    target = minutes.interaction.id
    buttons: list[tuple[Button, ...]] = []
    if minutes.customer is None:
        buttons += rows(
            *(
                Button(customer_name(lang, c), Act.MINUTES_CUSTOMER, target, str(c.id))
                for c in minutes.candidates
            ),
            Button(t(lang, "button.minutes.new_customer"), Act.MINUTES_CUSTOMER, target, "new"),
            width=2,
        )
    buttons += rows(
        Button(t(lang, "button.minutes.customer"), Act.MINUTES_CUSTOMER, target, ""),
        Button(t(lang, "button.minutes.edit"), Act.MINUTES_EDIT, target, ""),
        Button(t(lang, "button.minutes.discard"), Act.MINUTES_DISCARD, target),
        width=3,
    )
    return tuple(buttons)


def customer_name(lang: Lang, customer: Customer) -> str:
    return customer.name or t(lang, "customer.unnamed")


def customer_choices(lang: Lang, target: int, customers: Sequence[Customer]) -> Reply:
    buttons = [Button(customer_name(lang, c), Act.MINUTES_CUSTOMER, target, str(c.id)) for c in customers]
    buttons.append(Button(t(lang, "button.minutes.new_customer"), Act.MINUTES_CUSTOMER, target, "new"))
    return Reply(t(lang, "minutes.choose_customer"), rows(*buttons, width=2))


def edit_menu(lang: Lang, target: int, fields: Sequence[str]) -> Reply:
    buttons = [Button(t(lang, f"field.{name}"), Act.MINUTES_EDIT, target, name) for name in fields]
    return Reply(t(lang, "minutes.edit.choose"), rows(*buttons, width=3))


def edit_prompt(lang: Lang, field: str) -> Reply:
    return Reply(t(lang, "minutes.edit.prompt", field=t(lang, f"field.{field}")))


def terms(lang: Lang, current: Sequence[str]) -> Reply:
    listed = _join(lang, current) if current else t(lang, "terms.none")
    return Reply(t(lang, "terms.show", terms=listed))
