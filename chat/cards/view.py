"""How a card capture reads: the lead card with a mark after each value OCR was unsure of (and the
member has not corrected since), the card's own lines (fax, website, QQ), and a row of "fix" buttons
for the least sure fields."""

from __future__ import annotations

from collections.abc import Sequence

from chat import format as fmt
from chat.errors import error
from chat.leads import view as leads
from chat.messages import t
from chat.views import Act, Button, Replies, Reply, rows
from crm.capture import Outcome
from crm.cards import FIX_FIELDS, CardCapture, CardOutcome, card_values
from crm.customers import EditableField
from crm.facts import CardFacts
from crm.model import Contact, Customer, Lang, Member

# Fields read with less confidence than this are marked for the member to check.
DOUBTFUL_BELOW = 0.8
FIX_BUTTONS = 3
MARK = " ⚠️"
# The label of each card field ("field.<label>" in chat.messages).
_LABEL = {
    "name": "name",
    "title": "title",
    "company": "customer",
    "mobile": "mobile",
    "phones": "phone",
    "emails": "email",
    "wechat_id": "wechat",
    "address": "address",
    "fax": "fax",
    "website": "website",
    "qq": "qq",
}


def label(lang: Lang, card_field: str) -> str:
    return t(lang, f"field.{_LABEL.get(card_field, card_field)}")


def doubtful(
    card: CardFacts,
    edited: frozenset[EditableField],
    customer: Customer | None,
    contact: Contact | None,
) -> list[tuple[str, float]]:
    """Fields read with low confidence whose value is still the card's, least sure first."""
    found: list[tuple[str, float]] = []
    for name, confidence in card.confidence.items():
        values = card_values(card, name)
        if confidence >= DOUBTFUL_BELOW or not values:
            continue
        editable = FIX_FIELDS.get(name)
        # A value the member corrected, or that is no longer on the record, is no longer the card's.
        if editable is not None and (
            editable in edited or not any(_on_record(name, v, customer, contact) for v in values)
        ):
            continue
        found.append((name, confidence))
    return sorted(found, key=lambda item: item[1])


def _on_record(name: str, value: str, customer: Customer | None, contact: Contact | None) -> bool:
    if name == "company":
        return customer is not None and customer.name == value
    if name == "address":
        return value in (contact.address if contact else None, customer.address if customer else None)
    if contact is None:
        return False
    if name in ("mobile", "phones"):
        return value in contact.phones
    if name == "emails":
        return value.lower() in (email.lower() for email in contact.emails)
    current = {"name": contact.name, "title": contact.title, "wechat_id": contact.wechat_id}
    return current.get(name) == value


def card_reply(member: Member, captured: CardCapture, *, headline: str | None = None) -> Reply:
    """The contact card after a card photo (or a correction of it)."""
    result, card, lang = captured.capture, captured.card, member.lang
    if result.outcome is Outcome.REPEATED:
        return Reply(t(lang, "card.repeated"))
    if result.outcome is not Outcome.CREATED and result.outcome is not Outcome.UPDATED:
        return leads.lead_card(member, result, headline=headline)  # a colleague's customer
    doubts = doubtful(card, captured.edited, result.customer, result.contact)
    doubted = {name for name, _ in doubts}
    marks = {value: MARK for name in doubted for value in card_values(card, name)}
    lines: list[str] = []
    for icon, name in (("📠", "fax"), ("🌐", "website"), ("🐧", "qq")):
        value = getattr(card, name)
        if value:
            sep = "：" if lang is Lang.ZH else ": "
            shown = fmt.phone(value) if name == "fax" else value
            lines.append(f"{icon} {label(lang, name)}{sep}{shown}{MARK if name in doubted else ''}")
    if doubts:
        lines.append(t(lang, "card.doubtful"))
    fixes = [
        Button(t(lang, "card.button.fix", field=label(lang, name)), Act.CARD_FIX, result.interaction_id, name)
        for name, _ in doubts
        if name in FIX_FIELDS and result.interaction_id is not None
    ][:FIX_BUTTONS]
    notes = leads.Annotations(marks=marks, lines=tuple(lines), buttons=rows(*fixes, width=3))
    return leads.lead_card(member, result, headline=headline or _headline(lang, captured), notes=notes)


def _headline(lang: Lang, captured: CardCapture) -> str:
    result = captured.capture
    if result.outcome is Outcome.CREATED:
        head = t(lang, "card.created")
    elif result.match is not None and result.match.reason != "similar":
        head = t(lang, "card.updated.exact", reason=t(lang, f"field.{result.match.reason}"))
    else:
        head = t(lang, "card.updated")
    return head + (t(lang, "card.sides") if captured.sides > 1 else "")


def fixed_headline(lang: Lang) -> str:
    return t(lang, "card.fixed")


def replies(member: Member, outcomes: Sequence[CardOutcome]) -> Replies:
    """One reply per card; a refused photo among several cards gets its refusal."""
    items = [
        card_reply(member, outcome) if isinstance(outcome, CardCapture) else error(member.lang, outcome)
        for outcome in outcomes
    ]
    if len(items) > 1:
        items.insert(0, Reply(t(member.lang, "card.several")))
    return Replies(tuple(items))


def fix_prompt(lang: Lang, card: CardFacts, card_field: str) -> Reply:
    values = card_values(card, card_field)
    return Reply(t(lang, "card.fix.prompt", field=label(lang, card_field), value=", ".join(values) or "—"))


def text(lang: Lang, key: str, **params: object) -> Reply:
    return Reply(t(lang, key, **params))
