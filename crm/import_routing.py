"""Imported customers without an owner go through territory routing where the team has territories.

An import row that names no owner (and no `--owner` was given) makes a customer the importer holds for
a moment; `TerritoryOwners.route` then hands it to the lead router as a lead of source "import", with
the records already written (`LeadInput.customer_id`): the router decides by the customer's address or
region, hands the customer, its contacts and open deal to the rep its territory names, or puts it in
the pool, and records the lead with its reason. A team without territory rules keeps the importer as
the owner, as before territories existed.
"""

from __future__ import annotations

from datetime import datetime

from crm.facts import Facts
from crm.leads import LeadSource
from crm.model import Contact, Customer, Member
from crm.ports import UnitOfWork
from crm.routing import LeadInput, LeadRouter


class TerritoryOwners:
    """crm.ports.OwnerRouter on crm.routing.LeadRouter."""

    def __init__(self, router: LeadRouter) -> None:
        self._router = router

    async def route(
        self,
        uow: UnitOfWork,
        importer: Member,
        customer: Customer,
        contact: Contact | None,
        origin: str,
        at: datetime,
    ) -> int:
        territories = await self._router.territories(uow, customer.team_id)
        if not territories.rules:
            return customer.owner_id
        facts = Facts(
            name=contact.name if contact else None,
            title=contact.title if contact else None,
            company=customer.name,
            phones=tuple(contact.phones) if contact else (),
            emails=tuple(contact.emails) if contact else (),
            wechat_id=contact.wechat_id if contact else None,
            address=customer.address or (contact.address if contact else None),
            region=customer.region or (contact.region if contact else None),
        )
        routed = await self._router.assign(
            uow,
            LeadInput(
                team_id=customer.team_id,
                facts=facts,
                origin=origin[:200] or None,
                author_id=importer.id,
                customer_id=customer.id,
                contact_id=contact.id if contact else None,
            ),
            LeadSource.IMPORT,
            at,
        )
        return routed.customer.owner_id
