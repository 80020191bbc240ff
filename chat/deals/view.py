"""How deals read: deal cards, gate refusals, evidence questions, /pipeline (counts per stage), the
digests and the stage configuration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chat import format as fmt
from chat.messages import t
from chat.territories import view as territories_view
from chat.views import Act, Attachment, Button, Reply, rows
from crm.deals import AdvanceResult, DealView, EvidenceOffer, GateRefused, NoteOutcome, RoleOutcome
from crm.digest import DealLine, RepDigest, TeamDigest
from crm.evidence import tag
from crm.facts import DecisionRole
from crm.health import Advice, DealSnapshot, Health, satisfied
from crm.model import Contact, Deal, DealStatus, Lang, Member, Role
from crm.stages import LOST, WON, FieldName, Funnel, Problem, ReqKind, Requirement, StageConfigError

_SEP = {Lang.ZH: "、", Lang.EN: ", "}
MAX_DEAL_BUTTONS = 10


def _join(lang: Lang, items: Sequence[str]) -> str:
    return _SEP[lang].join(items)


def role_name(lang: Lang, role: DecisionRole) -> str:
    return t(lang, f"deal.role.{role.value}")


def requirement_name(lang: Lang, requirement: Requirement) -> str:
    return requirement.name(lang)


def advice_text(lang: Lang, advice: Advice, funnel: Funnel) -> str:
    params = dict(advice.params)
    if advice.requirement is not None:
        own = advice.requirement.advice(lang)
        text = own or t(lang, "deal.advice.generic", name=advice.requirement.name(lang))
        if advice.key == "deal.advice.missing_stalled":
            return t(lang, "deal.advice.stalled_prefix", days=params.get("days", 0)) + text
        return text
    if "stage" in params:
        params["stage"] = fmt.stage(lang, funnel, str(params["stage"]))
    return t(lang, advice.key, **params)


def hint(lang: Lang, requirement: Requirement, deal_id: int) -> str:
    """How to add a missing requirement from chat."""
    ref = tag(deal_id)
    own = requirement.hint(lang)
    if own:
        return own.replace("{deal}", ref)
    if requirement.kind is ReqKind.FIELD:
        return t(lang, f"deal.hint.{requirement.field.value if requirement.field else 'budget'}", deal=ref)
    if requirement.kind is ReqKind.ROLE:
        role = role_name(lang, requirement.role) if requirement.role else requirement.name(lang)
        return t(lang, "deal.hint.role", deal=ref, role=role)
    word = requirement.keywords[0] if requirement.keywords else requirement.name(lang)
    text = t(lang, "deal.hint.evidence", deal=ref, word=word)
    if requirement.declare:
        text += t(lang, "deal.hint.declare", name=requirement.name(lang))
    return text


def _days_ago(lang: Lang, days: int | None) -> str:
    if days is None:
        return t(lang, "deal.never")
    if days == 0:
        return t(lang, "deal.today")
    return t(lang, "deal.days_ago", days=days)


def _health_line(lang: Lang, health: Health) -> str:
    return t(
        lang,
        "deal.card.health",
        completeness=health.completeness,
        engaged=health.roles_engaged,
        required=health.roles_required,
        last=_days_ago(lang, health.last_touch_days),
        overdue=health.overdue,
    )


# --- the deal card ------------------------------------------------------------------------------


def deal_card(member: Member, view: DealView, *, headline: str | None = None) -> Reply:
    lang = member.lang
    deal, funnel, health = view.deal, view.funnel, view.health
    lines = [headline] if headline else []
    lines.append(f"📁 {tag(deal.id)} {view.name}")
    if deal.status is DealStatus.OPEN:
        stalled = t(lang, "deal.card.stalled") if health.stalled else ""
        lines.append(
            t(lang, "deal.card.stage", stage=fmt.stage(lang, funnel, deal.stage), days=health.days_in_stage)
            + stalled
        )
    elif deal.status is DealStatus.WON:
        when = fmt.when(lang, deal.closed_at, member.tz) if deal.closed_at else ""
        lines.append(t(lang, "deal.card.won", when=when))
    else:
        lines.append(t(lang, "deal.card.lost", reason=deal.lost_reason or "—"))
    owner = view.owner.name if view.owner else "?"
    amount = fmt.money(lang, deal.amount_cny) if deal.amount_cny is not None else "—"
    lines.append(t(lang, "deal.card.owner", owner=owner, amount=amount))
    if deal.status is DealStatus.OPEN:
        lines.append(_health_line(lang, health))
        lines += _requirement_lines(member, view)
        lines.append(t(lang, "deal.card.chain", chain=_chain(lang, view)))
        lines.append(t(lang, "deal.card.advice", advice=advice_text(lang, health.advice, funnel)))
    kept = [(item, stored) for item, stored in view.evidence if item.requirement is None]
    if kept:
        names = [stored.original_name or "?" for _, stored in kept if stored is not None]
        if names:
            lines.append(t(lang, "deal.card.files", files=_join(lang, names[-5:])))
    if view.history:
        last = view.history[-1]
        change = (
            f"{fmt.stage(lang, funnel, last.from_stage or '')} → {fmt.stage(lang, funnel, last.to_stage)}"
        )
        lines.append(
            t(lang, "deal.card.changed", when=fmt.when(lang, last.created_at, member.tz), change=change)
        )
    return Reply("\n".join(lines), deal_buttons(member, view))


def _requirement_lines(member: Member, view: DealView) -> list[str]:
    lang = member.lang
    funnel, snapshot = view.funnel, view.snapshot
    requirements = funnel.exit_requirements(view.deal.stage)
    if not requirements:
        return []
    lines = [t(lang, "deal.card.needs", stage=fmt.stage(lang, funnel, view.next_stage))]
    by_requirement: dict[str, str] = {}
    for item, stored in view.evidence:
        if item.requirement:
            by_requirement[item.requirement] = (
                stored.original_name or "" if stored else t(lang, f"deal.evidence.kind.{item.kind.value}")
            )
    customer = view.customer
    for requirement in requirements:
        done = satisfied(requirement, snapshot)
        detail = ""
        if done and requirement.kind is ReqKind.FIELD and customer is not None:
            if requirement.field is FieldName.BUDGET and customer.budget_cny is not None:
                detail = fmt.money_range(lang, customer.budget_min_cny, customer.budget_cny)
            elif customer.timeline:
                detail = customer.timeline
        elif done and requirement.kind is ReqKind.ROLE:
            detail = _join(
                lang, [c.name or "?" for c in view.contacts if c.decision_role is requirement.role][:3]
            )
        elif done:
            detail = by_requirement.get(requirement.key, "")
        mark = "✅" if done else "❌"
        suffix = f"（{detail}）" if detail and lang is Lang.ZH else (f" ({detail})" if detail else "")
        lines.append(f"  {mark} {requirement.name(lang)}{suffix}")
    return lines


def _chain(lang: Lang, view: DealView) -> str:
    parts = []
    for role in view.funnel.required_roles():
        people = [c.name or "?" for c in view.contacts if c.decision_role is role]
        parts.append(f"{role_name(lang, role)} {'✅ ' + _join(lang, people) if people else '❌'}")
    others = [
        f"{c.name or '?'}（{role_name(lang, c.decision_role)}）"
        for c in view.contacts
        if c.decision_role is not None and c.decision_role not in view.funnel.required_roles()
    ]
    return " · ".join(parts + others) or "—"


def deal_buttons(member: Member, view: DealView) -> tuple[tuple[Button, ...], ...]:
    lang = member.lang
    deal, funnel = view.deal, view.funnel
    if deal.status is not DealStatus.OPEN:
        return ()
    target = view.next_stage
    buttons: list[tuple[Button, ...]] = list(
        rows(
            Button(
                t(lang, "deal.button.advance", stage=fmt.stage(lang, funnel, target)),
                Act.DEAL_ADVANCE,
                deal.id,
                target,
            )
        )
    )
    helpers = _fill_buttons(lang, deal.id, view.health.missing)
    helpers.append(Button(t(lang, "deal.button.chain"), Act.DEAL_CHAIN, deal.id))
    buttons += rows(*helpers, width=2)
    tail = [Button(t(lang, "deal.button.lost"), Act.DEAL_LOST, deal.id)]
    if member.role.sees_team and view.health.missing:
        tail.insert(0, Button(t(lang, "deal.button.override"), Act.DEAL_OVERRIDE, deal.id, target))
    buttons += rows(*tail, width=2)
    return tuple(buttons)


def _fill_buttons(lang: Lang, deal_id: int, missing: Sequence[Requirement]) -> list[Button]:
    """A button for each missing requirement the member can give from chat: a field to type in, or
    evidence to declare."""
    buttons: list[Button] = []
    for requirement in missing:
        if requirement.kind is ReqKind.FIELD and requirement.field is not None:
            field = requirement.field.value
            buttons.append(Button(t(lang, f"deal.button.field.{field}"), Act.DEAL_FIELD, deal_id, field))
        elif requirement.kind is ReqKind.EVIDENCE and requirement.declare:
            name = requirement.name(lang)
            buttons.append(
                Button(t(lang, "deal.button.declare", name=name), Act.DEAL_DECLARE, deal_id, requirement.key)
            )
    return buttons


# --- stage changes ------------------------------------------------------------------------------


def gate_refused(member: Member, exc: GateRefused) -> Reply:
    lang = member.lang
    deal = exc.deal
    name = deal.title or tag(deal.id)
    lines = [
        t(
            lang,
            "deal.gate.head",
            deal=tag(deal.id),
            name=name,
            stage=fmt.stage(lang, exc.funnel, exc.target),
            count=len(exc.missing),
        )
    ]
    for number, requirement in enumerate(exc.missing, 1):
        lines.append(f"{number}. {requirement.name(lang)} — {hint(lang, requirement, deal.id)}")
    buttons = _fill_buttons(lang, deal.id, exc.missing)
    if any(r.kind is ReqKind.ROLE for r in exc.missing):
        buttons.append(Button(t(lang, "deal.button.chain"), Act.DEAL_CHAIN, deal.id))
    if member.role.sees_team:
        lines.append(t(lang, "deal.gate.override_hint"))
        buttons.append(Button(t(lang, "deal.button.override"), Act.DEAL_OVERRIDE, deal.id, exc.target))
    buttons.append(Button(t(lang, "deal.button.open"), Act.DEAL_OPEN, deal.id))
    return Reply("\n".join(lines), rows(*buttons, width=2))


def advanced(member: Member, result: AdvanceResult) -> Reply:
    lang = member.lang
    funnel = result.view.funnel
    if result.to_stage == WON:
        key = "deal.advanced.won"
    elif result.to_stage == LOST:
        key = "deal.advanced.lost"
    elif result.backwards:
        key = "deal.advanced.back"
    else:
        key = "deal.advanced"
    headline = t(
        lang,
        key,
        deal=tag(result.view.deal.id),
        before=fmt.stage(lang, funnel, result.from_stage),
        after=fmt.stage(lang, funnel, result.to_stage),
    )
    if result.overridden:
        headline += "\n" + t(
            lang, "deal.advanced.override", missing=_join(lang, [r.name(lang) for r in result.overridden])
        )
    return deal_card(member, result.view, headline=headline)


# --- evidence -----------------------------------------------------------------------------------


def _size(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def evidence_offer(member: Member, offer: EvidenceOffer) -> Reply:
    lang = member.lang
    lines: list[str] = []
    stored = offer.file
    if stored is not None:
        from crm.files import FileType

        try:
            label = FileType(stored.mime).label
        except ValueError:
            label = stored.mime
        lines.append(
            t(
                lang,
                "evidence.received",
                name=stored.original_name or label,
                type=label,
                size=_size(stored.size),
            )
        )
        if not offer.new_file:
            lines.append(t(lang, "evidence.stored_before"))
    deal = offer.deal
    if offer.duplicate is not None and deal is not None:
        requirement = offer.funnel.requirements.get(offer.duplicate.requirement or "")
        lines.append(
            t(
                lang,
                "evidence.duplicate",
                deal=tag(deal.id),
                name=offer.deal_name or "",
                requirement=requirement.name(lang) if requirement else t(lang, "evidence.general"),
            )
        )
        return Reply("\n".join(lines), rows(Button(t(lang, "deal.button.open"), Act.DEAL_OPEN, deal.id)))
    item = offer.evidence
    assert item is not None
    if deal is None:
        lines.append(t(lang, "evidence.which_deal"))
        buttons = [
            Button(
                f"{tag(d.id)} {d.title or name or ''}".strip()[:40],
                Act.DEAL_EVIDENCE_DEAL,
                item.id,
                str(d.id),
            )
            for d, name in offer.candidates
        ]
        if not buttons:
            lines.append(t(lang, "evidence.no_deals"))
        buttons.append(Button(t(lang, "evidence.button.discard"), Act.DEAL_EVIDENCE, item.id, "-"))
        return Reply("\n".join(lines), rows(*buttons, width=2))
    lines.append(t(lang, "evidence.deal", deal=tag(deal.id), name=offer.deal_name or ""))
    buttons = []
    if offer.guess is not None:
        why = _join(lang, item.keywords[:3])
        lines.append(t(lang, "evidence.guess", requirement=offer.guess.name(lang), why=why))
        buttons.append(
            Button(
                t(lang, "evidence.button.yes", requirement=offer.guess.name(lang)),
                Act.DEAL_EVIDENCE,
                item.id,
                offer.guess.key,
            )
        )
    else:
        lines.append(t(lang, "evidence.no_guess"))
    buttons += [Button(r.name(lang), Act.DEAL_EVIDENCE, item.id, r.key) for r in offer.choices]
    buttons.append(Button(t(lang, "evidence.button.keep"), Act.DEAL_EVIDENCE, item.id, ""))
    buttons.append(Button(t(lang, "evidence.button.discard"), Act.DEAL_EVIDENCE, item.id, "-"))
    first = rows(buttons[0], width=1) if offer.guess is not None else ()
    rest = buttons[1:] if offer.guess is not None else buttons
    return Reply("\n".join(lines), (*first, *rows(*rest, width=2)))


def evidence_confirmed(member: Member, view: DealView, requirement: str) -> Reply:
    lang = member.lang
    req = view.funnel.requirements.get(requirement)
    headline = (
        t(lang, "evidence.confirmed", requirement=req.name(lang), deal=tag(view.deal.id))
        if req
        else t(lang, "evidence.kept", deal=tag(view.deal.id))
    )
    if view.deal.status is DealStatus.OPEN and not view.health.missing:
        headline += "\n" + t(lang, "evidence.ready", stage=fmt.stage(lang, view.funnel, view.next_stage))
    return deal_card(member, view, headline=headline)


def note_outcome(member: Member, outcome: NoteOutcome) -> Reply:
    lang = member.lang
    bits = []
    if outcome.budget is not None:
        bits.append(t(lang, "deal.note.budget", budget=fmt.money(lang, outcome.budget)))
    if outcome.timeline:
        bits.append(t(lang, "deal.note.timeline", timeline=outcome.timeline))
    bits += [t(lang, "deal.note.role", name=name, role=role_name(lang, role)) for name, role in outcome.roles]
    headline = t(lang, "deal.note.saved", deal=tag(outcome.view.deal.id))
    if bits:
        headline += "：" + _join(lang, bits) if lang is Lang.ZH else ": " + _join(lang, bits)
    if outcome.offer is not None:
        offer = evidence_offer(member, outcome.offer)
        return Reply(headline + "\n" + offer.text, offer.buttons)
    return deal_card(member, outcome.view, headline=headline)


def role_outcome(member: Member, outcome: RoleOutcome) -> Reply:
    lang = member.lang
    headline = t(
        lang,
        "role.set.created" if outcome.created else "role.set",
        name=outcome.contact.name or "?",
        role=role_name(lang, outcome.role),
    )
    if outcome.view is not None:
        return deal_card(member, outcome.view, headline=headline)
    return Reply(headline)


def chain_menu(member: Member, view: DealView) -> Reply:
    lang = member.lang
    lines = [t(lang, "deal.chain.head", deal=tag(view.deal.id), chain=_chain(lang, view))]
    if not view.contacts:
        lines.append(t(lang, "deal.chain.none", deal=tag(view.deal.id)))
        return Reply("\n".join(lines))
    lines.append(t(lang, "deal.chain.pick"))
    buttons = [
        Button(
            f"{c.name or '?'}" + (f"（{role_name(lang, c.decision_role)}）" if c.decision_role else ""),
            Act.DEAL_ROLE,
            c.id,
        )
        for c in view.contacts[:12]
    ]
    return Reply("\n".join(lines), rows(*buttons, width=2))


def role_menu(member: Member, contact: Contact) -> Reply:
    lang = member.lang
    buttons = [Button(role_name(lang, role), Act.DEAL_ROLE, contact.id, role.value) for role in DecisionRole]
    buttons.append(Button(t(lang, "deal.role.none"), Act.DEAL_ROLE, contact.id, "-"))
    return Reply(t(lang, "deal.role.choose", name=contact.name or "?"), rows(*buttons, width=3))


# --- lists, pipeline ------------------------------------------------------------------------------


def _deal_line(
    lang: Lang, funnel: Funnel, snapshot: DealSnapshot, health: Health, owner: str | None = None
) -> str:
    bits = [f"{tag(snapshot.deal_id)} {snapshot.name}", fmt.stage(lang, funnel, snapshot.stage)]
    bits.append(t(lang, "deal.line.days", days=health.days_in_stage) + ("⏳" if health.stalled else ""))
    bits.append(f"{health.completeness}%")
    if owner:
        bits.append(owner)
    return " · ".join(bits)


def deal_list(member: Member, funnel: Funnel, items: Sequence[tuple[DealSnapshot, Health]]) -> Reply:
    lang = member.lang
    if not items:
        return Reply(t(lang, "deal.list.empty"))
    lines = [t(lang, "deal.list.head", count=len(items))]
    lines += [f"• {_deal_line(lang, funnel, s, h)}" for s, h in items]
    buttons = [
        Button(f"{tag(s.deal_id)} {s.name}"[:40], Act.DEAL_OPEN, s.deal_id)
        for s, _ in items[:MAX_DEAL_BUTTONS]
    ]
    return Reply("\n".join(lines), rows(*buttons, width=2))


def deal_choices(
    member: Member, candidates: Sequence[tuple[Deal, str | None]], act: Act, arg: str, key: str
) -> Reply:
    lang = member.lang
    if not candidates:
        return Reply(t(lang, "deal.list.empty"))
    buttons = [
        Button(f"{tag(d.id)} {d.title or name or ''}".strip()[:40], act, d.id, arg) for d, name in candidates
    ]
    return Reply(t(lang, key), rows(*buttons, width=2))


def pipeline(member: Member, funnel: Funnel, counts: dict[str, int], chart: Attachment | None) -> Reply:
    lang = member.lang
    scope = t(lang, "pipeline.team" if member.role.sees_team else "pipeline.mine")
    lines = [t(lang, "pipeline.head", scope=scope)]
    total = 0
    for stage in funnel.stages:
        count = counts.get(stage.key, 0)
        total += count
        lines.append(f"{stage.label(lang)}  {count}")
    lines.append(t(lang, "pipeline.total", total=total))
    return Reply("\n".join(lines), attachment=chart)


# --- digests --------------------------------------------------------------------------------------


def _date(lang: Lang, moment: datetime, member: Member) -> str:
    local = moment.astimezone(member.tz)
    return fmt.when(lang, local, member.tz).rsplit(" ", 1)[0]


def _digest_line(lang: Lang, funnel: Funnel, line: DealLine, *, advice: bool) -> list[str]:
    text = [_deal_line(lang, funnel, line.snapshot, line.health, line.owner)]
    if advice:
        text.append("   → " + advice_text(lang, line.health.advice, funnel))
    return text


def digest_reply(member: Member, digest: TeamDigest | RepDigest, chart: Attachment | None) -> Reply:
    if isinstance(digest, RepDigest):
        return rep_digest(member, digest)
    return team_digest(member, digest, chart)


def team_digest(member: Member, digest: TeamDigest, chart: Attachment | None) -> Reply:
    lang = member.lang
    funnel = digest.funnel
    lines = [t(lang, "digest.head", date=_date(lang, digest.now, member), count=digest.total_open)]
    lines.append("")
    lines.append(t(lang, "digest.stalled", count=digest.stalled_total, days=funnel.stall_days))
    for number, line in enumerate(digest.stalled, 1):
        lines.append(f"{number}. " + _digest_line(lang, funnel, line, advice=False)[0])
    if digest.stalled_total > len(digest.stalled):
        lines.append(t(lang, "digest.more", count=digest.stalled_total - len(digest.stalled)))
    for key, group in (("digest.at_risk", digest.at_risk), ("digest.closing", digest.closing)):
        if not group:
            continue
        lines.append("")
        lines.append(t(lang, key))
        for number, line in enumerate(group, 1):
            first, *rest = _digest_line(lang, funnel, line, advice=True)
            lines.append(f"{number}. {first}")
            lines += rest
    lines.append("")
    lines.append(t(lang, "digest.untouched", count=digest.untouched_total))
    for line in digest.untouched:
        age = (digest.now - line.snapshot.created_at).days
        lines.append(
            f"• {tag(line.snapshot.deal_id)} {line.snapshot.name} · {line.owner} · {_days_ago(lang, age)}"
        )
    if digest.untouched_total > len(digest.untouched):
        lines.append(t(lang, "digest.more", count=digest.untouched_total - len(digest.untouched)))
    if digest.pool is not None and (
        pool_lines := territories_view.digest_lines(member, digest.pool, digest.now)
    ):
        lines += ["", *pool_lines]
    lines.append("")
    lines.append(t(lang, "digest.funnel"))
    lines += [f"{stage.label(lang)}  {count}" for stage, count in digest.counts]
    return Reply("\n".join(lines), _digest_buttons(member, digest.lines()), attachment=chart)


def _digest_buttons(member: Member, lines: Sequence[DealLine]) -> tuple[tuple[Button, ...], ...]:
    lang = member.lang
    buttons: list[tuple[Button, ...]] = []
    for line in lines[:MAX_DEAL_BUTTONS]:
        deal_id = line.snapshot.deal_id
        row = [Button(t(lang, "digest.button.open", deal=tag(deal_id)), Act.DEAL_OPEN, deal_id)]
        if member.role.sees_team and line.snapshot.owner_id != member.id:
            row.append(Button(t(lang, "digest.button.ping", owner=line.owner), Act.DEAL_PING, deal_id))
        buttons.append(tuple(row))
    return tuple(buttons)


def rep_digest(member: Member, digest: RepDigest) -> Reply:
    lang = member.lang
    lines = [t(lang, "digest.rep.head", name=member.name, date=_date(lang, digest.now, member))]
    if digest.empty:
        lines.append(t(lang, "digest.rep.nothing"))
        return Reply("\n".join(lines))
    if digest.follow_ups:
        lines.append(t(lang, "digest.rep.today", count=len(digest.follow_ups)))
        for reminder in digest.follow_ups:
            whom = digest.customers.get(reminder.customer_id or 0)
            suffix = f"（{whom}）" if whom and lang is Lang.ZH else (f" ({whom})" if whom else "")
            lines.append(f"• {reminder.due_at.astimezone(member.tz):%H:%M} {reminder.text}{suffix}")
    if digest.overdue:
        lines.append(t(lang, "digest.rep.overdue", count=len(digest.overdue)))
        for commitment in digest.overdue:
            whom = digest.customers.get(commitment.customer_id or 0)
            due = fmt.when(lang, commitment.due_at, member.tz) if commitment.due_at else ""
            who = f" · {whom}" if whom else ""
            lines.append(t(lang, "digest.rep.overdue_item", text=commitment.text, who=who, due=due))
    if digest.stalled:
        lines.append(t(lang, "digest.rep.stalled", count=len(digest.stalled)))
        for line in digest.stalled:
            first, *rest = _digest_line(lang, digest.funnel, line, advice=True)
            lines += [f"• {first}", *rest]
    buttons = [
        Button(
            t(lang, "digest.button.open", deal=tag(line.snapshot.deal_id)),
            Act.DEAL_OPEN,
            line.snapshot.deal_id,
        )
        for line in digest.stalled
    ]
    return Reply("\n".join(lines), rows(*buttons, width=3))


def ping(member: Member, sender: Member, view: DealView) -> Reply:
    """What the owner of a deal gets when a manager pings them about it (in the owner's language)."""
    lang = member.lang
    text = t(
        lang,
        "deal.ping.message",
        manager=sender.name,
        deal=tag(view.deal.id),
        name=view.name,
        stage=fmt.stage(lang, view.funnel, view.deal.stage),
        advice=advice_text(lang, view.health.advice, view.funnel),
    )
    return Reply(text, rows(Button(t(lang, "deal.button.open"), Act.DEAL_OPEN, view.deal.id)))


# --- stage configuration --------------------------------------------------------------------------


def stages_show(member: Member, funnel: Funnel, *, custom: bool) -> Reply:
    lang = member.lang
    lines = [t(lang, "stages.head.custom" if custom else "stages.head.default")]
    for stage in funnel.stages:
        needs = _join(lang, [funnel.requirements[k].name(lang) for k in stage.requires]) or "—"
        lines.append(
            f"{stage.label(lang)} ({stage.key})：{needs}"
            if lang is Lang.ZH
            else f"{stage.label(lang)} ({stage.key}): {needs}"
        )
    workdays = t(lang, "stages.workdays" if funnel.workdays_only else "stages.every_day")
    lines.append(
        t(
            lang,
            "stages.settings",
            days=funnel.stall_days,
            time=funnel.digest_time.strftime("%H:%M"),
            workdays=workdays,
        )
    )
    if member.role is Role.ADMIN:
        lines.append(t(lang, "stages.how", team=member.team_id))
    return Reply("\n".join(lines))


def stages_loaded(member: Member, funnel: Funnel) -> Reply:
    lang = member.lang
    names = " → ".join(stage.label(lang) for stage in funnel.stages)
    return Reply(t(lang, "stages.loaded", stages=names, days=funnel.stall_days))


def problem_text(lang: Lang, problem: Problem) -> str:
    return t(lang, problem.key, **dict(problem.params))


def stages_error(lang: Lang, exc: StageConfigError) -> Reply:
    lines = [t(lang, "stages.invalid", count=len(exc.problems))]
    lines += [f"{number}. {problem_text(lang, p)}" for number, p in enumerate(exc.problems, 1)]
    return Reply("\n".join(lines))
