"""Visit check-ins: a location a rep shares becomes a check-in on the customer they are visiting.

The customer is the one the rep captured last (within a day), as for notes; the reply offers the rep's
recent customers to move the check-in to another one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crm.capture import CAPTURE_SOURCES
from crm.errors import NotFound
from crm.inputs import Place
from crm.model import AuditEntry, Customer, Interaction, Member, Source
from crm.ports import Clock, UnitOfWork, UnitOfWorkFactory
from crm.records import can_see, visible_customer

logger = logging.getLogger(__name__)

RECENT_WINDOW = timedelta(hours=24)
CHOICES = 4


@dataclass(slots=True)
class CheckIn:
    interaction: Interaction
    customer: Customer | None
    others: list[Customer] = field(default_factory=list)
    repeated: bool = False


class CheckInService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def check_in(self, actor: Member, place: Place, key: str | None = None) -> CheckIn:
        now = self._clock.now()
        async with self._uow() as uow:
            customer = await self._current_customer(uow, actor, now)
            interaction = Interaction(
                id=0,
                team_id=actor.team_id,
                author_id=actor.id,
                source=Source.LOCATION,
                content=place.describe(),
                facts={"location": {"lat": place.latitude, "lon": place.longitude, "label": place.label}},
                created_at=now,
                customer_id=customer.id if customer else None,
                external_key=key,
            )
            if key and await uow.processed.seen([key]):
                return CheckIn(interaction, customer, repeated=True)
            await uow.interactions.add(interaction)
            if key:
                await uow.processed.add([key])
            await uow.audit.add(self._audit(actor, "checkin", interaction))
            others = await uow.customers.recent(actor.team_id, None if actor.role.sees_team else actor.id, 8)
            await uow.commit()
        others = [c for c in others if customer is None or c.id != customer.id][:CHOICES]
        return CheckIn(interaction, customer, others)

    async def move(self, actor: Member, interaction_id: int, customer_id: int) -> CheckIn:
        async with self._uow() as uow:
            interaction = await uow.interactions.get(interaction_id)
            if (
                interaction is None
                or interaction.source is not Source.LOCATION
                or interaction.team_id != actor.team_id
                or (interaction.author_id != actor.id and not actor.role.sees_team)
            ):
                raise NotFound()
            customer = await visible_customer(uow, actor, customer_id)
            interaction.customer_id = customer.id
            await uow.interactions.update(interaction)
            await uow.audit.add(self._audit(actor, "checkin.moved", interaction))
            await uow.commit()
        return CheckIn(interaction, customer)

    async def _current_customer(self, uow: UnitOfWork, actor: Member, now: datetime) -> Customer | None:
        last = await uow.interactions.last_by_author(actor.id, (*CAPTURE_SOURCES, Source.LOCATION))
        if last is None or last.customer_id is None or now - last.created_at > RECENT_WINDOW:
            return None
        customer = await uow.customers.get(last.customer_id)
        while customer is not None and customer.merged_into is not None:
            customer = await uow.customers.get(customer.merged_into)
        if (
            customer is None
            or customer.archived_at is not None
            or not can_see(actor, customer.owner_id, customer.team_id)
        ):
            return None
        return customer

    def _audit(self, actor: Member, action: str, interaction: Interaction) -> AuditEntry:
        return AuditEntry(
            id=0,
            team_id=actor.team_id,
            actor_id=actor.id,
            action=action,
            target_type="interaction",
            target_id=interaction.id,
            detail={"customer": interaction.customer_id},
            created_at=self._clock.now(),
        )
