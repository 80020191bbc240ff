"""Which reminders a capture creates, and when they fall due given the member's preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from crm.facts import Facts, Party
from crm.model import Commitment, Interaction, Member, Reminder, ReminderKind, ReminderStatus
from crm.ports import UnitOfWork

MEETING_LEAD = timedelta(hours=1)
MORNING = time(9, 0)


def plan_reminders(
    actor: Member,
    facts: Facts,
    interaction: Interaction,
    commitments: Sequence[Commitment],
    now: datetime,
) -> list[Reminder]:
    """Reminders for the explicit asks, the next meeting (an hour before), our commitments and the
    customer's (to check they kept them) with a due date, and dated to-dos. Past times are skipped."""
    planned: list[tuple[ReminderKind, str, datetime, int | None]] = [
        (ReminderKind.ASK, ask.text, ask.due, None) for ask in facts.reminders
    ]
    if facts.next_meeting is not None:
        planned.append((ReminderKind.MEETING, _meeting_text(facts), facts.next_meeting - MEETING_LEAD, None))
    for commitment in commitments:
        if commitment.due_at is not None:
            kind = ReminderKind.COMMITMENT if commitment.party is Party.US else ReminderKind.FOLLOW_UP
            planned.append((kind, commitment.text, commitment.due_at, commitment.id))
    planned += [
        (ReminderKind.TODO, todo.text, todo.due, None) for todo in facts.todos if todo.due is not None
    ]

    reminders: list[Reminder] = []
    for kind, text, due, commitment_id in planned:
        if due <= now:
            continue
        reminders.append(
            Reminder(
                id=0,
                team_id=actor.team_id,
                member_id=actor.id,
                kind=kind,
                text=text,
                due_at=adjust_due(actor, due),
                status=ReminderStatus.PENDING,
                created_at=now,
                customer_id=interaction.customer_id,
                interaction_id=interaction.id,
                commitment_id=commitment_id,
            )
        )
    return reminders


async def store_follow_ups(
    uow: UnitOfWork,
    actor: Member,
    facts: Facts,
    interaction: Interaction,
    now: datetime,
    *,
    remind_from: Facts | None = None,
) -> tuple[list[Commitment], list[Reminder]]:
    """Stores the commitments the facts carry on `interaction`'s customer and deal, and the reminders
    that follow from them (from `remind_from` when given: the facts as the reminders should see them)."""
    commitments = [
        await uow.commitments.add(
            Commitment(
                id=0,
                team_id=actor.team_id,
                owner_id=actor.id,
                text=fact.text,
                party=fact.by,
                created_at=now,
                customer_id=interaction.customer_id,
                deal_id=interaction.deal_id,
                interaction_id=interaction.id,
                due_at=fact.due,
            )
        )
        for fact in facts.commitments
    ]
    planned = plan_reminders(actor, remind_from or facts, interaction, commitments, now)
    reminders = [await uow.reminders.add(reminder) for reminder in planned]
    return commitments, reminders


def _meeting_text(facts: Facts) -> str:
    # Who the meeting is with; the reminder's card adds the customer's name itself.
    return facts.name or facts.company or ""


def adjust_due(member: Member, due: datetime) -> datetime:
    """Moves a due time out of the member's quiet hours, and off the weekend when they asked so."""
    local = due.astimezone(member.tz)
    if member.weekend_to_monday and local.weekday() >= 5:
        monday = local.date() + timedelta(days=7 - local.weekday())
        local = datetime.combine(monday, MORNING, tzinfo=member.tz)
    if member.quiet_start is not None and member.quiet_end is not None:
        local = _after_quiet(local, member.quiet_start, member.quiet_end)
    return local.astimezone(due.tzinfo)


def _after_quiet(local: datetime, start: time, end: time) -> datetime:
    clock = local.timetz().replace(tzinfo=None)
    if start <= end:
        quiet = start <= clock < end
        day = local.date()
    else:  # quiet hours span midnight, e.g. 21:00-08:00
        quiet = clock >= start or clock < end
        day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return local
    return datetime.combine(day, end, tzinfo=local.tzinfo)
