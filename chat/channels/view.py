"""How a check-in reads: where, on which customer (or none yet), and the rep's recent customers to move
it to."""

from __future__ import annotations

from chat.format import when
from chat.leads.view import customer_name
from chat.messages import t
from chat.views import Act, Button, Reply, rows, text
from crm.checkin import CheckIn
from crm.model import Member


def checkin_card(actor: Member, result: CheckIn) -> Reply:
    lang = actor.lang
    if result.repeated:
        return text(lang, "checkin.repeated")
    at = when(lang, result.interaction.created_at, actor.tz)
    if result.customer is not None:
        head = t(lang, "checkin.on", customer=customer_name(lang, result.customer), when=at)
    else:
        head = t(lang, "checkin.unassigned", when=at)
    lines = [head, f"📍 {result.interaction.content}"]
    buttons = [
        Button(customer_name(lang, c), Act.CHECKIN_AT, result.interaction.id, str(c.id))
        for c in result.others
    ]
    if buttons:
        lines.append(t(lang, "checkin.other" if result.customer else "checkin.choose"))
    return Reply("\n".join(lines), rows(*buttons))
