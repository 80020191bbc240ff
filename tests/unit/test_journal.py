"""The field journal without a database: what an operation's journal records, and how a list field is
taken back item by item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm.journal import Journal, revert_items
from crm.model import Contact, Customer, Deal, DealStatus, FollowUp

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "after", "current", "expected"),
    [
        # nothing changed since: back to before
        (["a"], ["a", "b"], ["a", "b"], ["a"]),
        # someone added c since: it stays
        (["a"], ["a", "b"], ["a", "b", "c"], ["a", "c"]),
        # someone put d first since: it keeps its place
        (["a"], ["a", "b"], ["d", "a", "b"], ["d", "a"]),
        # a value read wrong was replaced (OCR fix): the old one comes back where it was
        (["wrong", "x"], ["right", "x"], ["right", "x"], ["wrong", "x"]),
        # someone removed what the operation added: nothing more to do
        (["a"], ["a", "b"], ["a"], ["a"]),
        # someone removed an item the operation did not touch: it stays removed
        (["a", "z"], ["a", "z", "b"], ["a", "b"], ["a"]),
        # the operation emptied the list
        (["a", "b"], [], [], ["a", "b"]),
        # the same item added since by someone else as the operation had: it goes (it cannot be told apart)
        ([], ["b"], ["b"], []),
    ],
)
def test_a_list_is_taken_back_item_by_item(
    before: list[str], after: list[str], current: list[str], expected: list[str]
) -> None:
    assert revert_items(before, after, current) == expected


def test_a_journal_records_created_records_and_changed_fields_only() -> None:
    journal = Journal()
    customer = Customer(7, 1, 3, "华为", NOW, NOW, budget_cny=500_000, budget_min_cny=300_000)
    contact = Contact(9, 1, 3, 7, "张伟", NOW, NOW, phones=["+8613812345678"])
    deal = Deal(4, 1, 7, 3, "华为", "lead", DealStatus.OPEN, NOW, NOW, NOW)
    journal.created(deal)
    journal.track(customer, contact, deal)  # a created record is not tracked
    customer.budget_cny = 800_000  # its lower bound is journaled with it, unchanged
    customer.follow_up = FollowUp.MEETING
    customer.updated_at = NOW + timedelta(hours=1)  # bookkeeping: never journaled
    contact.phones = [*contact.phones, "+8613900002222"]
    deal.stage = "requirements"

    changes = [(c.record_type, c.record_id, c.field, c.before, c.after) for c in journal.changes()]

    assert changes == [
        ("deal", 4, None, None, None),
        ("customer", 7, "follow_up", None, "meeting"),
        ("customer", 7, "budget_cny", 500_000, 800_000),
        ("customer", 7, "budget_min_cny", 300_000, 300_000),
        ("contact", 9, "phones", ["+8613812345678"], ["+8613812345678", "+8613900002222"]),
    ]


def test_one_moment_in_another_timezone_is_no_change() -> None:
    journal = Journal()
    moment = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    customer = Customer(7, 1, 3, "华为", NOW, NOW, next_meeting=moment)
    journal.track(customer)
    customer.next_meeting = moment.astimezone(timezone(timedelta(hours=8)))

    assert journal.changes() == []


def test_a_record_read_again_is_followed_from_its_first_values() -> None:
    journal = Journal()
    first = Contact(9, 1, 3, 7, "张伟", NOW, NOW)
    journal.track(first)
    first.title = "经理"
    again = Contact(9, 1, 3, 7, "张伟", NOW, NOW, title="经理")  # as read back after the write
    journal.track(again)
    again.customer_id = 8

    fields = {c.field: (c.before, c.after) for c in journal.changes()}
    assert fields == {"customer_id": (7, 8), "title": (None, "经理")}
