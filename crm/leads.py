"""Leads without an owner: the records of routing, the public pool (公海), claims, alerts and reclaim.

A `Lead` is one arrival of a customer to the team that nobody owned yet: a web form, a manager's
forward, a stranger on the Official Account, an import row, or a customer reclaimed from a rep. It
keeps its source and, while it waits in the pool, who may claim it (its territory and pool). The
customer, its contacts and its open deal belong to whoever the lead is assigned to; while it waits
they belong to the team's pool owner, an inactive member named after the pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from crm.places import Division


class LeadStatus(StrEnum):
    POOL = "pool"  # unclaimed, in `pool`
    ASSIGNED = "assigned"  # owned by `assignee_id`
    RECLAIMED = "reclaimed"  # taken back from its assignee (a new lead of source reclaim follows)
    CLOSED = "closed"  # its customer was merged or archived


class LeadSource(StrEnum):
    FORWARD = "forward"  # a manager's /lead or "route to the team" on a capture card
    API = "api"  # POST /api/leads (a web form)
    WECHAT = "wechat"  # a stranger writing to the Official Account
    IMPORT = "import"  # a spreadsheet row without an owner
    RECLAIM = "reclaim"  # a customer a rep neglected


class AssignedBy(StrEnum):
    ROUTING = "routing"  # the territory rules chose the rep
    EXISTING = "existing"  # dedup: the customer's owner
    CLAIM = "claim"  # the rep claimed it from the pool
    MANAGER = "manager"  # a manager assigned it


@dataclass(slots=True)
class Lead:
    id: int
    team_id: int
    customer_id: int
    source: LeadSource
    status: LeadStatus
    created_at: datetime
    contact_id: int | None = None
    interaction_id: int | None = None
    origin: str | None = None  # the form's own source, a forwarding manager's note
    assignee_id: int | None = None
    assigned_by: AssignedBy | None = None
    assigned_at: datetime | None = None
    pool: str | None = None
    territory: str | None = None  # the rule that took it, by name
    region: str | None = None  # the sales region key
    division: Division | None = None
    candidates: list[Division] = field(default_factory=list)  # when the region is unclear
    country: str | None = None
    reason: dict[str, Any] = field(default_factory=dict)  # {"key": message key, **params}
    pooled_at: datetime | None = None
    alert_stage: int = 0  # 0: none sent, 1: the manager's, 2: the admins'
    alert_due_at: datetime | None = None
    lease_until: datetime | None = None  # a job's claim on the lead (notice or alert being sent)
    notify: bool = False  # a notice waits to be sent (the assignee's lead card, a region to pick)
    former_owner_id: int | None = None
    lost_at: datetime | None = None
    idempotency_key: str | None = None
    external_ref: str | None = None  # e.g. the WeChat OpenID of the stranger who wrote

    @property
    def region_unclear(self) -> bool:
        return self.reason.get("key") == "routing.reason.region_unclear"


@dataclass(frozen=True, slots=True)
class PoolScope:
    """Which pool leads a rep sees and may claim: those of territories they belong to (`mine`), and
    those of pools open to them (`pools`) unless the lead's territory has members of its own
    (`restricted`) that they are not among."""

    mine: tuple[str, ...] = ()
    pools: tuple[str, ...] = ()
    restricted: tuple[str, ...] = ()

    def allows(self, lead: Lead) -> bool:
        if lead.territory is not None and lead.territory in self.mine:
            return True
        if lead.territory is not None and lead.territory in self.restricted:
            return False
        return lead.pool in self.pools


@dataclass(frozen=True, slots=True)
class MemberLoad:
    """What routing and claims need to know of a member right now."""

    open_deals: int = 0
    received_24h: int = 0
    received_today: int = 0
    claims_today: int = 0
    last_received: datetime | None = None


@dataclass(frozen=True, slots=True)
class Availability:
    """A member's weekly days off (0 = Monday) and away periods (inclusive dates)."""

    weekly_off: frozenset[int] = frozenset()
    away: tuple[tuple[date, date], ...] = ()

    def off_on(self, day: date) -> bool:
        return day.weekday() in self.weekly_off or any(start <= day <= end for start, end in self.away)

    def current(self, today: date) -> Availability:
        """Without the periods that are over."""
        return Availability(self.weekly_off, tuple(p for p in self.away if p[1] >= today))


@dataclass(frozen=True, slots=True)
class ReclaimCandidate:
    """An open deal a rep owns, with the latest qualifying follow-up and its reclaim bookkeeping."""

    deal_id: int
    customer_id: int
    owner_id: int
    stage: str
    last_activity: datetime
    routed: bool  # the customer came through routing or the pool
    extended_at: datetime | None = None
    warned_for: datetime | None = None


@dataclass(slots=True)
class PoolSummary:
    """The digest's lines on routing: what arrived yesterday, what waits now, what was reclaimed."""

    routed: int
    reclaimed: int
    unclaimed: list[Lead]
    unclaimed_total: int
    names: dict[int, str | None] = field(default_factory=dict)  # customer id -> name
    at_cap: list[str] = field(default_factory=list)
