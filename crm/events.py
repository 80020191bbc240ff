"""What happened in a unit of work, published after it commits (cosmicpython's `collect_new_events`):
whoever cares subscribes to the unit-of-work factory, so that no service pokes a job by hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReminderScheduled:
    """A pending reminder was written (added, snoozed, moved): it falls due at `due_at`."""

    reminder_id: int
    due_at: datetime


@dataclass(frozen=True, slots=True)
class LeadRouted:
    """A lead was written with a notice to send (the assignee's lead card, a region for the manager
    to pick): the lead job sends it."""

    lead_id: int


Event = ReminderScheduled | LeadRouted
# Called after a commit with what it published; must not block (it runs on the event loop).
Subscriber = Callable[[Sequence[Event]], None]
