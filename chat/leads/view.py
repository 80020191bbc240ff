"""How leads read: the lead card after a capture or a correction, the menus that correct it, customer
lists and cards, and the duplicates to review."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from chat import format as fmt
from chat.messages import t
from chat.reminders import view as reminders_view
from chat.views import Act, Button, Reply, rows
from crm.capture import CaptureResult, Outcome
from crm.customers import CustomerCard, EditableField, Found
from crm.facts import Facts, Party, Region
from crm.journal import Kept
from crm.model import Contact, Customer, DuplicateFlag, FollowUp, Lang, Member
from crm.profile import CoreField

_CORE_FIELD_EDIT = {
    CoreField.CUSTOMER: EditableField.CUSTOMER,
    CoreField.CONTACT: EditableField.CONTACT,
    CoreField.PHONE: EditableField.PHONE,
}


def customer_name(lang: Lang, customer: Customer | None) -> str:
    if customer is None or not customer.name:
        return t(lang, "customer.unnamed")
    return customer.name


@dataclass(frozen=True, slots=True)
class Annotations:
    """What a kind of capture adds to its lead card (chat.cards.view: what OCR was unsure of)."""

    marks: Mapping[str, str] = field(default_factory=dict)  # a shown value -> what follows it ("⚠️")
    lines: tuple[str, ...] = ()  # after the profile lines
    buttons: tuple[tuple[Button, ...], ...] = ()  # before the usual buttons
    footer: tuple[str, ...] = ()  # after everything else (the deals feature: an evidence offer)
    footer_buttons: tuple[tuple[Button, ...], ...] = ()  # after the usual buttons


def lead_card(
    member: Member, result: CaptureResult, *, headline: str | None = None, notes: Annotations | None = None
) -> Reply:
    """The card a rep sees after a capture or a correction."""
    lang = member.lang
    notes = notes or Annotations()
    if result.outcome is Outcome.REPEATED:
        return Reply(t(lang, "lead.repeated"))
    if result.outcome is Outcome.COLLEAGUE:
        return Reply(t(lang, "lead.colleague"))
    if result.outcome is Outcome.NOTHING:
        return Reply(t(lang, "lead.nothing"))

    lines = [headline or _headline(lang, result)]
    customer, contact, facts = result.customer, result.contact, result.facts
    if result.outcome is not Outcome.NOTED:
        lines += _profile_lines(member, customer, contact, notes.marks)
    lines += notes.lines
    # A note shows what it said; a lead card also what the customer's profile already knew.
    lines += _facts_lines(member, facts, None if result.outcome is Outcome.NOTED else customer)
    # "⏰ 已设提醒：11月27日 周五 09:00 给他回电话": each reminder with its time, so the rep can check it.
    lines += reminders_view.set_lines(member, result.reminders)
    if result.outcome is not Outcome.NOTED:
        lines.append(
            t(lang, "lead.completeness", before=result.completeness_before, after=result.completeness_after)
        )
    missing = [f for f in result.missing if result.outcome is not Outcome.NOTED]
    if missing:
        names = "、" if lang is Lang.ZH else ", "
        lines.append(t(lang, "lead.missing", fields=names.join(t(lang, f"field.{f.value}") for f in missing)))
    if result.candidate is not None and result.flag_id is not None:
        company = f" · {result.candidate_company}" if result.candidate_company else ""
        lines.append(
            t(
                lang,
                "lead.duplicate",
                name=result.candidate.name or "?",
                company=company,
                score=round(result.match.score) if result.match else "?",
            )
        )
    elif result.flagged_for_review:
        lines.append(t(lang, "lead.review"))
    if result.removed_characters:
        lines.append(t(lang, "lead.cleaned", count=result.removed_characters))
    lines += notes.footer
    return Reply(
        "\n".join(lines), notes.buttons + _lead_buttons(lang, result, missing) + notes.footer_buttons
    )


def _headline(lang: Lang, result: CaptureResult) -> str:
    if result.outcome is Outcome.CREATED:
        return t(lang, "lead.created")
    if result.outcome is Outcome.NOTED:
        if result.customer is not None:
            return t(lang, "lead.noted.on", customer=customer_name(lang, result.customer))
        return t(lang, "lead.noted")
    if result.match is not None and result.match.reason != "similar":
        return t(lang, "lead.updated.exact", reason=t(lang, f"field.{result.match.reason}"))
    return t(lang, "lead.edited")


def _line(lang: Lang, icon: str, field: str, value: str) -> str:
    sep = "：" if lang is Lang.ZH else ": "
    return f"{icon} {t(lang, f'field.{field}')}{sep}{value}"


def _profile_lines(
    member: Member, customer: Customer | None, contact: Contact | None, marks: Mapping[str, str] | None = None
) -> list[str]:
    lang = member.lang
    missing = "—"
    marks = marks or {}

    def marked(value: str, shown: str | None = None) -> str:
        return (shown or value) + marks.get(value, "")

    lines = [_line(lang, "🏢", "customer", marked(customer.name) if customer and customer.name else missing)]
    person = missing
    if contact is not None and contact.name:
        name = marked(contact.name)
        person = f"{name} · {marked(contact.title)}" if contact.title else name
    lines.append(_line(lang, "👤", "contact", person))
    phones = (
        ", ".join(marked(p, fmt.phone(p)) for p in contact.phones) if contact and contact.phones else missing
    )
    lines.append(_line(lang, "📞", "phone", phones))
    if contact is not None and contact.emails:
        lines.append(_line(lang, "✉️", "email", ", ".join(marked(e) for e in contact.emails)))
    if contact is not None and contact.wechat_id:
        lines.append(_line(lang, "💬", "wechat", marked(contact.wechat_id)))
    status = t(lang, f"follow_up.{customer.follow_up.value}") if customer and customer.follow_up else missing
    lines.append(_line(lang, "📌", "follow_up", status))
    region = (customer.region if customer else None) or (contact.region if contact else None)
    address = (customer.address if customer else None) or (contact.address if contact else None)
    if region is not None or address:
        lines.append(_line(lang, "📍", "region", place_text(region, address) + marks.get(address or "", "")))
    return lines


def place_text(region: Region | None, address: str | None) -> str:
    """ "广东省深圳市南山区" and "南山区科技园" -> "广东省深圳市南山区科技园": the address continues the
    region where they overlap, instead of repeating the district."""
    label = region.label() if region else ""
    place = address or ""
    if region is None or not label or place.startswith(label):
        return place or label
    for part in (region.district, region.city, region.province):
        if part and place.startswith(part):
            return label + place[len(part) :]
    return f"{label} {place}".strip()


def _facts_lines(member: Member, facts: Facts, customer: Customer | None) -> list[str]:
    lang = member.lang
    lines: list[str] = []
    budget = facts.budget_cny if facts.budget_cny is not None else (customer.budget_cny if customer else None)
    if facts.budget is not None and facts.budget.currency != "CNY":
        # A budget in another currency is shown as said, with its CNY figure only when converted.
        lines.append(_line(lang, "💰", "budget", fmt.budget(lang, facts.budget)))
    elif budget is not None:
        low = (
            facts.budget_min_cny
            if facts.budget_cny is not None
            else (customer.budget_min_cny if customer else None)
        )
        lines.append(_line(lang, "💰", "budget", fmt.money_range(lang, low, budget)))
    timeline = facts.timeline or (customer.timeline if customer else None)
    if timeline:
        by = facts.timeline_by or (customer.timeline_by if customer else None)
        suffix = t(lang, "lead.timeline_by", date=fmt.day(lang, by)) if by else ""
        lines.append(_line(lang, "🗓", "timeline", f"{timeline}{suffix}"))
    meeting = facts.next_meeting
    if meeting is not None:
        lines.append(_line(lang, "🤝", "next_meeting", fmt.when(lang, meeting, member.tz)))
    if facts.needs:
        lines.append(_line(lang, "🎯", "needs", _join(lang, facts.needs)))
    for commitment in facts.commitments:
        party = t(lang, "lead.party.us" if commitment.by is Party.US else "lead.party.customer")
        due = f"（{fmt.when(lang, commitment.due, member.tz)}）" if commitment.due else ""
        lines.append(_line(lang, "🤝", "commitments", f"[{party}] {commitment.text}{due}"))
    for todo in facts.todos:
        due = f"（{fmt.when(lang, todo.due, member.tz)}）" if todo.due else ""
        lines.append(_line(lang, "☑️", "todos", f"{todo.text}{due}"))
    if facts.people:
        people = _join(lang, [f"{p.name}{'（' + p.title + '）' if p.title else ''}" for p in facts.people])
        lines.append(_line(lang, "👥", "people", people))
    return lines


def _join(lang: Lang, items: Sequence[str]) -> str:
    return ("、" if lang is Lang.ZH else ", ").join(items)


def _lead_buttons(
    lang: Lang, result: CaptureResult, missing: Sequence[CoreField]
) -> tuple[tuple[Button, ...], ...]:
    if result.interaction_id is None:
        return ()
    capture = result.interaction_id
    buttons: list[tuple[Button, ...]] = []
    if result.candidate is not None and result.flag_id is not None:
        buttons += rows(
            Button(t(lang, "button.merge"), Act.MERGE, result.flag_id),
            Button(t(lang, "button.keep"), Act.KEEP_SEPARATE, result.flag_id),
        )
    adders = [
        Button(
            t(lang, "button.add", field=t(lang, f"field.{f.value}")),
            Act.EDIT_FIELD,
            capture,
            _CORE_FIELD_EDIT[f],
        )
        for f in missing
        if f in _CORE_FIELD_EDIT
    ]
    buttons += rows(*adders, width=3)
    if CoreField.FOLLOW_UP in missing:
        buttons += follow_up_buttons(lang, capture)
    buttons += rows(
        Button(t(lang, "button.confirm"), Act.CONFIRM, capture),
        Button(t(lang, "button.edit"), Act.EDIT_MENU, capture),
        Button(t(lang, "button.attach"), Act.ATTACH_MENU, capture),
        width=3,
    )
    return tuple(buttons)


def follow_up_buttons(lang: Lang, capture: int) -> tuple[tuple[Button, ...], ...]:
    choices = (FollowUp.CONTACTED, FollowUp.INTERESTED, FollowUp.MEETING, FollowUp.ON_HOLD)
    return rows(
        *(Button(t(lang, f"follow_up.{s.value}"), Act.FOLLOW_UP, capture, s.value) for s in choices), width=4
    )


def edit_menu(lang: Lang, capture: int) -> Reply:
    fields = [Button(t(lang, f"field.{f.value}"), Act.EDIT_FIELD, capture, f.value) for f in EditableField]
    fields.append(Button(t(lang, "field.follow_up"), Act.FOLLOW_UP, capture, ""))
    return Reply(t(lang, "edit.choose"), rows(*fields, width=3))


def attach_menu(lang: Lang, capture: int, customers: Sequence[Customer], exclude: int | None) -> Reply:
    choices = [c for c in customers if c.id != exclude]
    if not choices:
        return Reply(t(lang, "attach.none"))
    buttons = [Button(customer_name(lang, c), Act.ATTACH_TO, capture, str(c.id)) for c in choices]
    return Reply(t(lang, "attach.choose"), rows(*buttons, width=2))


def found_list(lang: Lang, found: Sequence[Found]) -> Reply:
    """/find: each customer with the people of theirs who matched ("上海瀚海智能科技有限公司 · 李明 采购经理
    +86 139 …"), then matching people without a customer; a button opens each customer."""
    customers = sum(1 for hit in found if hit.customer is not None)
    head = (
        t(lang, "customer.list", count=customers) if customers else t(lang, "find.people", count=len(found))
    )
    lines = [head]
    buttons = []
    for hit in found:
        people = "；".join(_found_person(p) for p in hit.people)
        if hit.customer is None:
            lines.append(f"• 👤 {people}  {t(lang, 'find.no_customer')}")
            continue
        name = customer_name(lang, hit.customer)
        lines.append(f"• {name} · {people}" if people else f"• {name}")
        buttons.append(Button(name, Act.OPEN_CUSTOMER, hit.customer.id))
    return Reply("\n".join(lines), rows(*buttons, width=2))


def _found_person(contact: Contact) -> str:
    bits = [contact.name or "?", contact.title or ""] + [fmt.phone(p) for p in contact.phones[:1]]
    return " ".join(bit for bit in bits if bit)


def customer_list(lang: Lang, customers: Sequence[Customer], key: str = "customer.list") -> Reply:
    lines = [t(lang, key, count=len(customers))]
    lines += [f"• {customer_name(lang, c)}" for c in customers]
    buttons = [Button(customer_name(lang, c), Act.OPEN_CUSTOMER, c.id) for c in customers]
    return Reply("\n".join(lines), rows(*buttons, width=2))


def review_list(lang: Lang, items: Sequence[tuple[DuplicateFlag, Contact, Contact]]) -> Reply:
    """/review: each possible duplicate with merge and keep-separate buttons."""
    if not items:
        return Reply(t(lang, "review.none"))
    lines = [t(lang, "review.title")]
    buttons: list[tuple[Button, ...]] = []
    for number, (flag, new, old) in enumerate(items, 1):
        lines.append(
            f"{number}. "
            + t(lang, "review.item", new=_person(new), old=_person(old), score=round(flag.score))
        )
        buttons += rows(
            Button(f"{number}. {t(lang, 'button.merge')}", Act.MERGE, flag.id),
            Button(f"{number}. {t(lang, 'button.keep')}", Act.KEEP_SEPARATE, flag.id),
        )
    return Reply("\n".join(lines), tuple(buttons))


def _person(contact: Contact) -> str:
    bits = [contact.name or "?"] + [fmt.phone(p) for p in contact.phones[:1]]
    return " ".join(bits)


def customer_card(member: Member, card: CustomerCard) -> Reply:
    lang = member.lang
    customer = card.customer
    lines = [f"🏢 {customer_name(lang, customer)}"]
    if customer.follow_up:
        lines.append(_line(lang, "📌", "follow_up", t(lang, f"follow_up.{customer.follow_up.value}")))
    if customer.budget_cny is not None:
        lines.append(
            _line(lang, "💰", "budget", fmt.money_range(lang, customer.budget_min_cny, customer.budget_cny))
        )
    if customer.timeline:
        lines.append(_line(lang, "🗓", "timeline", customer.timeline))
    if customer.next_meeting:
        lines.append(_line(lang, "🤝", "next_meeting", fmt.when(lang, customer.next_meeting, member.tz)))
    if customer.needs:
        lines.append(_line(lang, "🎯", "needs", _join(lang, customer.needs)))
    if customer.region or customer.address:
        lines.append(_line(lang, "📍", "region", place_text(customer.region, customer.address)))
    for deal in card.deals:
        stage = card.funnel.stage(deal.stage) if card.funnel else None
        lines.append(
            t(lang, "customer.card.deal", title=deal.title, stage=stage.label(lang) if stage else deal.stage)
        )
    if card.contacts:
        lines.append(t(lang, "customer.card.contacts"))
        for contact in card.contacts:
            bits = [contact.name or "?"]
            if contact.title:
                bits.append(contact.title)
            bits += [fmt.phone(p) for p in contact.phones[:2]]
            bits += contact.emails[:1]
            lines.append("  • " + " · ".join(bits))
    if card.commitments:
        lines.append(t(lang, "customer.card.open_commitments"))
        for commitment in card.commitments:
            due = f"（{fmt.when(lang, commitment.due_at, member.tz)}）" if commitment.due_at else ""
            lines.append(f"  • {commitment.text}{due}")
    if card.interactions:
        lines.append(t(lang, "customer.card.history", count=card.interaction_count))
        for interaction in card.interactions:
            snippet = " ".join(interaction.content.split())
            snippet = snippet if len(snippet) <= 60 else snippet[:59] + "…"
            source = t(lang, f"source.{interaction.source.value}")
            lines.append(f"  • {fmt.when(lang, interaction.created_at, member.tz)} [{source}] {snippet}")
    return Reply("\n".join(lines))


# Journaled fields (crm.journal) by the label their catalogue key gives; fields of one group share one.
_KEPT_LABELS = {
    ("customer", "name"): "field.customer",
    ("contact", "name"): "field.name",
    ("deal", "title"): "field.deal",
    "budget_cny": "field.budget",
    "budget_min_cny": "field.budget",
    "amount_cny": "field.budget",
    "timeline": "field.timeline",
    "timeline_by": "field.timeline",
    "next_meeting": "field.next_meeting",
    "needs": "field.needs",
    "follow_up": "field.follow_up",
    "stage": "field.stage",
    "stage_entered_at": "field.stage",
    "status": "field.status",
    "closed_at": "field.status",
    "lost_reason": "field.status",
    "title": "field.title",
    "phones": "field.phone",
    "emails": "field.email",
    "wechat_id": "field.wechat",
    "qq": "field.qq",
    "address": "field.address",
    "region": "field.region",
    "website": "field.website",
    "decision_role": "field.decision_role",
    "customer_id": "field.customer",
    "contact_id": "field.contact",
}
# The field a line shows when several of its group were kept.
_KEPT_LEADS = frozenset({"budget_cny", "amount_cny", "timeline", "stage", "status"})
_KEPT_KINDS = {"customer": "field.customer", "contact": "field.contact", "deal": "field.deal"}


def kept_lines(member: Member, kept: Sequence[Kept]) -> list[str]:
    """What an undo left as it is, one line per record and field, under a heading; none when nothing."""
    lang = member.lang
    shown: dict[tuple[str, int, str], Kept] = {}
    records: list[str] = []
    for item in kept:
        name = item.label or t(lang, "customer.unnamed")
        if item.field is None:
            kind = t(lang, _KEPT_KINDS.get(item.record_type, "field.customer"))
            records.append(t(lang, "undo.kept.record", kind=kind, name=name))
            continue
        label = _KEPT_LABELS.get((item.record_type, item.field)) or _KEPT_LABELS.get(item.field, "")
        key = (item.record_type, item.record_id, label or item.field)
        if key not in shown or item.field in _KEPT_LEADS:
            shown[key] = item
    lines = [
        t(
            lang,
            "undo.kept.field",
            record=item.label or t(lang, "customer.unnamed"),
            field=t(lang, label) if label else item.field,
            value=_kept_value(member, item.field, item.current),
        )
        for (_, _, label), item in shown.items()
        if item.field is not None
    ]
    if not lines and not records:
        return []
    return [t(lang, "undo.kept"), *lines, *records]


def _kept_value(member: Member, name: str | None, value: Any) -> str:
    lang = member.lang
    if value is None or value == []:
        return "—"
    if name in ("budget_cny", "budget_min_cny", "amount_cny") and isinstance(value, int):
        return fmt.money(lang, value)
    if name == "follow_up":
        return t(lang, f"follow_up.{value}")
    if name == "status":
        return t(lang, f"deal.status.{value}")
    if name == "decision_role":
        return t(lang, f"deal.role.{value}")
    if name == "region" and isinstance(value, dict):
        return place_text(Region(**value), None)
    if isinstance(value, list):
        return _join(lang, [str(item) for item in value])
    if isinstance(value, str) and name in ("next_meeting", "closed_at", "stage_entered_at"):
        return fmt.when(lang, datetime.fromisoformat(value), member.tz)
    if isinstance(value, str) and name == "timeline_by":
        return date.fromisoformat(value).isoformat()
    return str(value)
