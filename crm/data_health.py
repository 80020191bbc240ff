"""Data health: how complete and how current a team's records are, owner by owner, and which gaps a rep
can fix from chat. Not to be confused with crm.health, the health of a deal the morning digest ranks.

The figures (storage computes them with a few set-based queries, crm.ports.DataHealthQueries):

- completeness of the 3+1 core fields (crm.profile.CoreField) per live customer: its company name, a
  named live contact, a live contact with a phone, and its follow-up status;
- live contacts without a phone;
- customers untouched for 30, 60 and 90 days or more: no live interaction since (a capture, a voice
  note, a card, a note, a document, a check-in), counted from the customer's creation when it has none;
- duplicate flags still open (both contacts live), by the owner of the newer contact;
- open deals without a next step: no open reminder on their customer, no next meeting ahead, and no
  open commitment that is not yet overdue.

Live means neither merged into another record nor archived. Pure functions, no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from crm.model import Member

UNTOUCHED_DAYS = (30, 60, 90)
CORE_FIELDS = 4  # the 3+1 core fields
# The weekly nudge goes out on a workday at this local time or later: after the 09:00 digest, so that
# the two do not arrive together.
NUDGE_TIME = time(10, 30)
NUDGE_EXAMPLES = 3  # records named per gap
NUDGE_GAPS = 4  # gaps named in one nudge


@dataclass(slots=True)
class Figures:
    """One owner's figures, or a team's total (`add`)."""

    customers: int = 0
    complete: int = 0  # customers with all of the 3+1 core fields
    missing_customer: int = 0  # no company name
    missing_contact: int = 0  # no named live contact
    missing_phone: int = 0  # no live contact with a phone
    missing_follow_up: int = 0
    contacts: int = 0
    contacts_without_phone: int = 0
    untouched_30: int = 0
    untouched_60: int = 0
    untouched_90: int = 0
    open_deals: int = 0
    deals_without_next_step: int = 0
    duplicates: int = 0  # open duplicate flags on the owner's contacts

    @property
    def completeness(self) -> int | None:
        """0..100: the share of the core fields filled over the owner's customers; None without any."""
        if self.customers == 0:
            return None
        total = CORE_FIELDS * self.customers
        gaps = self.missing_customer + self.missing_contact + self.missing_phone + self.missing_follow_up
        return round(100 * (total - gaps) / total)

    @property
    def untouched(self) -> dict[int, int]:
        return {30: self.untouched_30, 60: self.untouched_60, 90: self.untouched_90}

    def add(self, other: Figures) -> Figures:
        return Figures(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in dataclasses.fields(self)}
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "complete": self.complete,
            "completeness_pct": self.completeness,
            "missing": {
                "customer": self.missing_customer,
                "contact": self.missing_contact,
                "phone": self.missing_phone,
                "follow_up": self.missing_follow_up,
            },
            "contacts": self.contacts,
            "contacts_without_phone": self.contacts_without_phone,
            "untouched": {str(days): count for days, count in self.untouched.items()},
            "open_deals": self.open_deals,
            "deals_without_next_step": self.deals_without_next_step,
            "duplicates_waiting": self.duplicates,
        }


@dataclass(frozen=True, slots=True)
class OwnerHealth:
    """A member's figures; `member` None for an owner no longer found (a removed member)."""

    member_id: int
    member: Member | None
    figures: Figures


@dataclass(slots=True)
class TeamHealth:
    team_id: int
    now: datetime
    owners: list[OwnerHealth]
    total: Figures
    nudges: bool = True  # whether the team's reps get the weekly nudge

    def as_dict(self) -> dict[str, Any]:
        return {
            "team": self.team_id,
            "at": self.now.isoformat(),
            "total": self.total.as_dict(),
            "owners": [
                {
                    "member_id": owner.member_id,
                    "name": owner.member.name if owner.member else None,
                    "role": owner.member.role.value if owner.member else None,
                    "active": owner.member.active if owner.member else False,
                    **owner.figures.as_dict(),
                }
                for owner in self.owners
            ],
        }


def team_health(
    team_id: int, now: datetime, figures: dict[int, Figures], members: dict[int, Member]
) -> TeamHealth:
    """Every owner with records and every active rep (a rep with nothing is a figure too), the owners
    with the most to fix first."""
    ids = set(figures) | {m.id for m in members.values() if m.active and not m.role.sees_team}
    owners = [OwnerHealth(i, members.get(i), figures.get(i) or Figures()) for i in ids]
    owners.sort(key=lambda o: (-_weight(o.figures), o.member.name if o.member else "", o.member_id))
    total = Figures()
    for owner in owners:
        total = total.add(owner.figures)
    return TeamHealth(team_id, now, owners, total)


def _weight(figures: Figures) -> int:
    return (
        figures.missing_customer
        + figures.missing_contact
        + figures.missing_phone
        + figures.missing_follow_up
        + figures.contacts_without_phone
        + figures.untouched_30
        + figures.deals_without_next_step
    )


class GapKind(StrEnum):
    """A gap a rep can close from chat, in the order a nudge names them."""

    NO_PHONE = "no_phone"  # contacts without a phone: send their cards, or type the number
    NO_FOLLOW_UP = "no_follow_up"  # customers without a follow-up status: one button each
    NO_NEXT_STEP = "no_next_step"  # open deals with nothing planned: say the next meeting
    UNTOUCHED = "untouched"  # customers untouched for 30 days or more: forward the last chat
    NO_CONTACT = "no_contact"  # customers with no named contact: send a card or forward a chat


def _count(figures: Figures, kind: GapKind) -> int:
    return {
        GapKind.NO_PHONE: figures.contacts_without_phone,
        GapKind.NO_FOLLOW_UP: figures.missing_follow_up,
        GapKind.NO_NEXT_STEP: figures.deals_without_next_step,
        GapKind.UNTOUCHED: figures.untouched_30,
        GapKind.NO_CONTACT: figures.missing_contact,
    }[kind]


@dataclass(frozen=True, slots=True)
class Example:
    """One record of a gap: its name (a contact's, a customer's, a deal's title), a contact's company,
    and what a button acts on (see `Gap`), None when nothing does."""

    name: str | None
    company: str | None = None
    target: int | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """`count` records of one kind; `examples` names a few, the longest waiting first. Their targets:
    for NO_PHONE and NO_FOLLOW_UP the rep's latest capture of that contact or customer (its lead-card
    buttons correct it), for NO_NEXT_STEP the deal, for UNTOUCHED and NO_CONTACT the customer."""

    kind: GapKind
    count: int
    examples: tuple[Example, ...] = ()


def gap_kinds(figures: Figures, limit: int = NUDGE_GAPS) -> list[tuple[GapKind, int]]:
    """The gaps of one member's figures worth a nudge, most actionable first."""
    found = [(kind, _count(figures, kind)) for kind in GapKind]
    return [(kind, count) for kind, count in found if count > 0][:limit]


@dataclass(slots=True)
class MemberHealth:
    """One member's own figures and the gaps they can close, with examples (/health for a rep, and
    the weekly nudge)."""

    member: Member
    now: datetime
    figures: Figures
    gaps: list[Gap] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.gaps


# --- the weekly nudge ----------------------------------------------------------------------------


class NudgeStatus(StrEnum):
    CLAIMED = "claimed"  # being sent; claimable again by another process once its lease ran out
    DELIVERED = "delivered"
    FAILED = "failed"  # no channel took it; claimable again after a pause, a few times
    SKIPPED = "skipped"  # nothing to fix this week


def week_of(day: date) -> date:
    """The Monday of `day`'s ISO week: a nudge is once per member and week."""
    return day - timedelta(days=day.weekday())


def nudge_due(local: datetime, workday: bool) -> bool:
    """Whether a member's nudge of this week may go out now (their local time)."""
    return workday and local.time() >= NUDGE_TIME
