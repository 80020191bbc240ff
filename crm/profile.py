"""A lead's profile: the 3+1 core fields, what is missing, and how complete it is."""

from __future__ import annotations

from enum import StrEnum

from crm.model import Contact, Customer


class CoreField(StrEnum):
    """The 3+1 core fields of a lead: customer name, contact, phone, and follow-up status."""

    CUSTOMER = "customer"
    CONTACT = "contact"
    PHONE = "phone"
    FOLLOW_UP = "follow_up"


# Weights add up to 100. The core fields carry most of it: a lead with only those is usable.
_WEIGHTS: dict[str, int] = {
    CoreField.CUSTOMER: 20,
    CoreField.CONTACT: 20,
    CoreField.PHONE: 20,
    CoreField.FOLLOW_UP: 10,
    "title": 5,
    "email_or_wechat": 5,
    "region": 5,
    "budget": 5,
    "timeline": 5,
    "needs": 5,
}


def _present(customer: Customer | None, contact: Contact | None) -> set[str]:
    present: set[str] = set()
    if customer is not None:
        if customer.name:
            present.add(CoreField.CUSTOMER)
        if customer.follow_up is not None:
            present.add(CoreField.FOLLOW_UP)
        if customer.budget_cny is not None:
            present.add("budget")
        if customer.timeline or customer.timeline_by:
            present.add("timeline")
        if customer.needs:
            present.add("needs")
        if customer.region is not None or customer.address:
            present.add("region")
    if contact is not None:
        if contact.name:
            present.add(CoreField.CONTACT)
        if contact.phones:
            present.add(CoreField.PHONE)
        if contact.title:
            present.add("title")
        if contact.emails or contact.wechat_id:
            present.add("email_or_wechat")
        if contact.region is not None or contact.address:
            present.add("region")
    return present


def completeness(customer: Customer | None, contact: Contact | None) -> int:
    """0..100: the weighted share of profile fields that are filled."""
    present = _present(customer, contact)
    return sum(weight for name, weight in _WEIGHTS.items() if name in present)


def missing_core(customer: Customer | None, contact: Contact | None) -> list[CoreField]:
    present = _present(customer, contact)
    return [field for field in CoreField if field not in present]
