"""How routed leads read: the lead card a rep receives, the pool list with masked phones and e-mails,
managers' alerts and region picks, reclaim warnings and notices, /away, /territories, the digest's
pool lines and the routing decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from chat import format as fmt
from chat.messages import t
from chat.views import Act, Button, Reply, rows
from crm.leads import Availability, Lead, PoolSummary
from crm.model import Lang, Member
from crm.pool import LeadView, PoolPage, PoolRefused
from crm.reclaim import Reclaimed, Warned
from crm.routing import Decision, Routed
from crm.territories import Problem, Territories, TerritoryConfigError

_WEEKDAYS_ZH = "一二三四五六日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_CHOICES = 8


class PoolAct(StrEnum):
    """The pool's buttons (codes unique among every feature's, see chat.views.Act)."""

    CLAIM = "pc"  # target: lead id
    MORE = "pm"  # target: offset
    ASSIGN = "pa"  # target: lead id; arg: member id
    PICK = "pr"  # target: lead id; arg: candidate index
    OPEN = "po"  # target: lead id
    ROUTE = "ro"  # target: captured interaction id
    EXTEND = "rx"  # target: deal id
    VOICE = "rv"  # target: deal id


def tag(lead_id: int) -> str:
    return f"#L{lead_id}"


def mask_phone(e164: str) -> str:
    """+8613812344590 -> 138****4590: enough to recognise, not to call before claiming."""
    digits = e164.partition(";")[0].lstrip("+")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask_email(email: str) -> str:
    user, _, domain = email.partition("@")
    return f"{user[:1]}***@{domain}" if domain else "***"


def _mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1) if name else name


def source_name(lang: Lang, lead: Lead) -> str:
    return t(lang, f"lead.source.{lead.source.value}")


def reason_text(lang: Lang, reason: dict[str, Any]) -> str:
    key = str(reason.get("key") or "")
    if not key:
        return ""
    params = {k: v for k, v in reason.items() if k != "key"}
    if "by" in params and key == "routing.reason.territory":
        params["by_name"] = t(lang, f"routing.by.{params['by']}")
    if key == "routing.reason.region_unclear":
        options = params.get("options") or []
        said = t(lang, key)
        return (
            f"{said}（{'、'.join(options)}）"
            if options and lang is Lang.ZH
            else (f"{said} ({', '.join(options)})" if options else said)
        )
    return t(lang, key, **params)


def place_text(lead: Lead) -> str:
    if lead.division is not None:
        code = f" ({lead.division.code})" if lead.division.code else ""
        return lead.division.label() + code
    if lead.country:
        return lead.country if lead.country != "?" else "海外"
    return "—"


def _age(lang: Lang, since: datetime | None, now: datetime) -> str:
    if since is None:
        return "—"
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} 分钟" if lang is Lang.ZH else f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} 小时" if lang is Lang.ZH else f"{hours} h"
    return f"{hours // 24} 天" if lang is Lang.ZH else f"{hours // 24} days"


def _name(lang: Lang, view: LeadView) -> str:
    return view.customer.name or (
        view.contact.name if view.contact and view.contact.name else t(lang, "lead.unnamed")
    )


def _profile(member: Member, view: LeadView, *, masked: bool) -> list[str]:
    lang = member.lang
    sep = "：" if lang is Lang.ZH else ": "
    lines = [f"🏢 {t(lang, 'field.customer')}{sep}{_name(lang, view)}"]
    contact = view.contact
    if contact is not None:
        if contact.name:
            person = _mask_name(contact.name) if masked else contact.name
            lines.append(
                f"👤 {t(lang, 'field.contact')}{sep}{person}"
                + (f" · {contact.title}" if contact.title else "")
            )
        if contact.phones:
            shown = [mask_phone(p) if masked else fmt.phone(p) for p in contact.phones]
            lines.append(f"📞 {t(lang, 'field.phone')}{sep}{', '.join(shown)}")
        if contact.emails:
            shown = [mask_email(e) if masked else e for e in contact.emails]
            lines.append(f"✉️ {t(lang, 'field.email')}{sep}{', '.join(shown)}")
        if contact.wechat_id and not masked:
            lines.append(f"💬 {t(lang, 'field.wechat')}{sep}{contact.wechat_id}")
    lines.append(t(lang, "lead.card.place", place=place_text(view.lead)))
    lead = view.lead
    source = source_name(lang, lead)
    lines.append(
        t(lang, "lead.card.origin", source=source, origin=lead.origin)
        if lead.origin
        else t(lang, "lead.card.source", source=source)
    )
    return lines


def lead_card(member: Member, view: LeadView, *, headline: str | None = None) -> Reply:
    """The card of a lead someone now owns (claimed, assigned, routed to them): everything unmasked."""
    lang = member.lang
    lead = view.lead
    head = headline or t(
        lang,
        "lead.card.existing"
        if lead.assigned_by and lead.assigned_by.value == "existing"
        else "lead.card.assigned",
        tag=tag(lead.id),
    )
    lines = [head, *_profile(member, view, masked=False)]
    reason = reason_text(lang, lead.reason)
    if reason:
        lines.append(t(lang, "lead.card.why", reason=reason))
    buttons = rows(Button(t(lang, "lead.button.open"), Act.OPEN_CUSTOMER, view.customer.id), width=1)
    return Reply("\n".join(lines), buttons)


IMPORTED_SHOWN = 10


def imported_leads(member: Member, views: Sequence[LeadView]) -> Reply:
    """One message for the leads an import routed to a member at once, instead of a card each."""
    lang = member.lang
    files = sorted({v.lead.origin for v in views if v.lead.origin})
    lines = [t(lang, "lead.imported.head", count=len(views), file="、".join(files) or "-")]
    for lead_view in views[:IMPORTED_SHOWN]:
        contact = lead_view.contact
        lines.append(
            t(
                lang,
                "lead.imported.line",
                tag=tag(lead_view.lead.id),
                name=_name(lang, lead_view),
                contact=f" · {contact.name}" if contact and contact.name else "",
                place=place_text(lead_view.lead),
            )
        )
    if len(views) > IMPORTED_SHOWN:
        lines.append(t(lang, "lead.imported.more", count=len(views) - IMPORTED_SHOWN))
    return Reply("\n".join(lines))


def pool_page(member: Member, page: PoolPage, now: datetime) -> Reply:
    lang = member.lang
    if not page.leads:
        return Reply(t(lang, "pool.empty"))
    lines = [t(lang, "pool.head", total=page.total)]
    buttons: list[Button | None] = []
    for view in page.leads:
        lead = view.lead
        contact = view.contact
        person = f" · {_mask_name(contact.name)}" if contact and contact.name else ""
        phone = f" · {mask_phone(contact.phones[0])}" if contact and contact.phones else ""
        lines.append(
            t(
                lang,
                "pool.line",
                tag=tag(lead.id),
                name=_name(lang, view),
                contact=person,
                phone=phone,
                place=place_text(lead),
                age=_age(lang, lead.pooled_at or lead.created_at, now),
                source=source_name(lang, lead),
            )
        )
        buttons.append(Button(t(lang, "pool.button.claim", tag=tag(lead.id)), PoolAct.CLAIM, lead.id))
    shown = page.offset + len(page.leads)
    more = Button(t(lang, "pool.button.more"), PoolAct.MORE, shown) if shown < page.total else None
    return Reply("\n".join(lines), rows(*buttons, more, width=2))


def routed(member: Member, result: Routed) -> Reply:
    """What the manager who routed a lead (/lead, the capture card's button) is told."""
    lang = member.lang
    lead = result.lead
    if result.repeated:
        return Reply(t(lang, "lead.routed.repeat", tag=tag(lead.id)))
    reason = reason_text(lang, lead.reason)
    if result.assignee is not None:
        text = t(lang, "lead.routed.to", tag=tag(lead.id), name=result.assignee.name, reason=reason)
        return Reply(text)
    text = t(lang, "lead.routed.pool", tag=tag(lead.id), pool=lead.pool or "", reason=reason)
    return Reply(text, _pick_buttons(lang, lead, []))


def _pick_buttons(lang: Lang, lead: Lead, choices: Sequence[Member]) -> tuple[tuple[Button, ...], ...]:
    places = [
        Button(t(lang, "pool.button.place", place=c.label()), PoolAct.PICK, lead.id, str(i))
        for i, c in enumerate(lead.candidates[:MAX_CHOICES])
    ]
    people = [
        Button(t(lang, "pool.button.assign", name=m.name), PoolAct.ASSIGN, lead.id, str(m.id))
        for m in choices[:MAX_CHOICES]
    ]
    return rows(*places, *people, width=2)


def manager_notice(
    member: Member, kind: str, view: LeadView, choices: Sequence[Member], now: datetime
) -> Reply:
    """An unclaimed alert ("alert", "escalate") or a region to pick ("pick"), with its buttons."""
    lang = member.lang
    lead = view.lead
    name = _name(lang, view)
    age = _age(lang, lead.pooled_at or lead.created_at, now)
    if kind == "pick":
        said = view.customer.address or (view.contact.address if view.contact else None) or "—"
        head = t(lang, "pool.pick", tag=tag(lead.id), name=name, said=said)
    else:
        head = t(lang, f"pool.{kind}", tag=tag(lead.id), age=age, name=name, place=place_text(lead))
    lines = [head, *_profile(member, view, masked=False)[1:]]
    reason = reason_text(lang, lead.reason)
    if reason:
        lines.append(t(lang, "lead.card.reason", reason=reason))
    return Reply("\n".join(lines), _pick_buttons(lang, lead, choices))


def claimed(member: Member, view: LeadView) -> Reply:
    return lead_card(member, view, headline=t(member.lang, "lead.card.claimed", tag=tag(view.lead.id)))


def refused(member: Member, refusal: PoolRefused) -> Reply:
    """A claim over a limit: which limit, and when it frees up (in the member's time)."""
    params = dict(refusal.params)
    until = params.get("until")
    if isinstance(until, datetime):
        params["until"] = fmt.when(member.lang, until, member.tz)
    return Reply(t(member.lang, refusal.key, **params))


def given(member: Member, view: LeadView) -> Reply:
    name = view.assignee.name if view.assignee else "?"
    return Reply(t(member.lang, "lead.card.given", tag=tag(view.lead.id), name=name), replace=True)


def warning(member: Member, warned: Warned, stage: str, days: int, extend_days: int) -> Reply:
    lang = member.lang
    text = t(
        lang,
        "reclaim.warning",
        name=warned.customer.name or t(lang, "lead.unnamed"),
        when=fmt.when(lang, warned.deadline, member.tz),
        stage=stage,
        days=days,
    )
    buttons = [Button(t(lang, "reclaim.button.voice"), PoolAct.VOICE, warned.deal.id)]
    if warned.can_extend:
        buttons.append(
            Button(t(lang, "reclaim.button.extend", days=extend_days), PoolAct.EXTEND, warned.deal.id)
        )
    return Reply(text, rows(*buttons, width=1))


def reclaimed(member: Member, done: Reclaimed, stage: str, cooldown: int) -> Reply:
    lang = member.lang
    return Reply(
        t(
            lang,
            "reclaim.done",
            name=done.customer.name or t(lang, "lead.unnamed"),
            stage=stage,
            days=done.days,
            last=fmt.when(lang, done.last_activity, member.tz),
            cooldown=cooldown,
        )
    )


def away(member: Member, availability: Availability) -> Reply:
    lang = member.lang
    lines: list[str] = []
    if availability.weekly_off:
        names = _WEEKDAYS_ZH if lang is Lang.ZH else _WEEKDAYS_EN
        shown = ("、" if lang is Lang.ZH else ", ").join(
            ("周" + names[d]) if lang is Lang.ZH else names[d] for d in sorted(availability.weekly_off)
        )
        lines.append(t(lang, "away.weekly", days=shown))
    for start, end in availability.away:
        lines.append(t(lang, "away.period", start=fmt.day(lang, start), end=fmt.day(lang, end)))
    if not lines:
        return Reply(t(lang, "away.none"))
    return Reply(t(lang, "away.show", lines="\n".join(lines)))


def territories_show(member: Member, territories: Territories, *, custom: bool) -> Reply:
    lang = member.lang
    lines: list[str] = []
    for rule in territories.rules[:30]:
        where = [p.label() for p in rule.places]
        if rule.region:
            region = territories.region(rule.region)
            where.append(region.name(lang) if region else rule.region)
        target = ", ".join(str(m) for m in rule.members) or f"🌊 {rule.pool}"
        lines.append(t(lang, "territories.rule", name=rule.name, where="、".join(where), target=target))
    limits = territories.limits
    lines.append(
        t(
            lang,
            "territories.limits",
            cap=limits.holding_cap,
            quota=limits.daily_quota,
            claims=limits.daily_claims,
            cooldown=limits.reclaim_cooldown_days,
        )
    )
    kind = t(lang, "territories.kind.custom" if custom else "territories.kind.default")
    return Reply(
        t(
            lang,
            "territories.show",
            kind=kind,
            rules=len(territories.rules),
            pool=territories.default_pool,
            lines="\n".join(lines),
        )
    )


def problem_lines(lang: Lang, problems: Sequence[Problem]) -> list[str]:
    found = []
    for problem in problems:
        where = t(lang, "territories.line", line=problem.line) if problem.line else ""
        found.append(f"• {where}{t(lang, problem.key, **problem.params)}")
    return found


def territories_error(lang: Lang, error: TerritoryConfigError) -> Reply:
    errors = [p for p in error.problems if not p.warning]
    warnings = [p for p in error.problems if p.warning]
    lines = [t(lang, "territories.invalid", count=len(errors)), *problem_lines(lang, errors)]
    if warnings:
        lines += [t(lang, "territories.warnings"), *problem_lines(lang, warnings)]
    return Reply("\n".join(lines))


def territories_loaded(member: Member, territories: Territories, warnings: Sequence[Problem]) -> Reply:
    lang = member.lang
    lines = [t(lang, "territories.loaded", rules=len(territories.rules))]
    if warnings:
        lines += [t(lang, "territories.warnings"), *problem_lines(lang, warnings)]
    return Reply("\n".join(lines))


def digest_lines(member: Member, summary: PoolSummary, now: datetime) -> list[str]:
    """The manager digest's lines on leads and the pool (nothing when there is nothing to say)."""
    lang = member.lang
    if not (summary.routed or summary.reclaimed or summary.unclaimed_total or summary.at_cap):
        return []
    lines = [
        t(lang, "digest.pool.head"),
        t(
            lang,
            "digest.pool.counts",
            routed=summary.routed,
            reclaimed=summary.reclaimed,
            waiting=summary.unclaimed_total,
        ),
    ]
    for lead in summary.unclaimed:
        name = summary.names.get(lead.customer_id) or t(lang, "lead.unnamed")
        lines.append(
            t(lang, "digest.pool.oldest", tag=tag(lead.id), name=name, age=_age(lang, lead.pooled_at, now))
        )
    if summary.at_cap:
        lines.append(
            t(
                lang,
                "digest.pool.at_cap",
                names="、".join(summary.at_cap) if lang is Lang.ZH else ", ".join(summary.at_cap),
            )
        )
    return lines


def decision_json(decision: Decision, lang: Lang = Lang.EN) -> dict[str, Any]:
    """`chatcrm route --json`: the decision as data."""
    located = decision.located
    division = located.division
    return {
        "at": decision.at.isoformat(),
        "division": division.to_json() if division else None,
        "candidates": [c.to_json() for c in located.candidates] if located.ambiguous else [],
        "country": located.country,
        "region": {"key": decision.region.key, "zh": decision.region.zh, "en": decision.region.en}
        if decision.region
        else None,
        "rule": decision.territory,
        "matched_by": decision.matched_by,
        "members": [
            {
                "ref": c.ref,
                "id": c.member.id if c.member else None,
                "name": c.member.name if c.member else None,
                "eligible": c.eligible,
                "skipped": c.reason,
                "skipped_text": t(lang, f"routing.skip.{c.reason}", **c.params) if c.reason else None,
                "received_24h": c.load.received_24h,
                "received_today": c.load.received_today,
                "open_deals": c.load.open_deals,
                "last_received": c.load.last_received.isoformat() if c.load.last_received else None,
            }
            for c in decision.considered
        ],
        "assignee": {"id": decision.assignee.id, "name": decision.assignee.name}
        if decision.assignee
        else None,
        "pool": decision.pool,
        "reason": decision.reason,
        "reason_text": reason_text(lang, decision.reason),
    }


def decision_text(decision: Decision, lang: Lang = Lang.EN) -> str:
    data = decision_json(decision, lang)
    division = decision.located.division
    lines = []
    if division is not None:
        parts = " / ".join(part or "-" for part in (division.province, division.city, division.district))
        lines.append(f"division: {parts} ({division.code or '-'})")
    elif decision.located.ambiguous:
        lines.append("division: unclear, " + " | ".join(c.label() for c in decision.located.candidates))
    elif decision.located.country:
        lines.append(f"abroad: {decision.located.country}")
    else:
        lines.append("division: none found")
    region = decision.region
    lines.append(f"sales region: {region.key} ({region.zh}, {region.en})" if region else "sales region: -")
    lines.append(
        f"rule: {decision.territory or '-'}" + (f" (by {decision.matched_by})" if decision.matched_by else "")
    )
    for member in data["members"]:
        state = "eligible" if member["eligible"] else f"skipped: {member['skipped_text']}"
        lines.append(
            f"  {member['name'] or member['ref']}: {state} · {member['received_24h']} in 24 h · "
            f"{member['open_deals']} open deals"
        )
    if decision.assignee is not None:
        lines.append(f"assignee: {decision.assignee.name} (member {decision.assignee.id})")
    else:
        lines.append(f"pool: {decision.pool}")
    lines.append(f"reason: {data['reason_text']}")
    return "\n".join(lines)


def extended(member: Member, until: datetime) -> Reply:
    return Reply(
        t(member.lang, "reclaim.extended", when=fmt.when(member.lang, until, member.tz)), replace=True
    )


def voice_prompt(member: Member, name: str | None) -> Reply:
    return Reply(t(member.lang, "reclaim.voice_prompt", name=name or t(member.lang, "lead.unnamed")))


def route_offer(lang: Lang, interaction_id: int) -> tuple[tuple[Button, ...], ...]:
    return rows(Button(t(lang, "lead.button.route"), PoolAct.ROUTE, interaction_id), width=1)
