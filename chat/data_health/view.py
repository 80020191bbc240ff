"""How data health reads in chat: the team's figures for managers, a rep's own gaps with buttons that
fix them (the lead card's phone and follow-up buttons, the customer and deal cards), and the weekly
nudge, which is a rep's gaps with a head and a foot."""

from __future__ import annotations

from collections.abc import Sequence

from chat import format as fmt
from chat.messages import t
from chat.views import Act, Button, Reply, rows
from crm.data_health import Example, Figures, Gap, GapKind, MemberHealth, OwnerHealth, TeamHealth
from crm.model import Lang, Member

OWNERS_SHOWN = 15
BUTTONS_PER_GAP = 2
MAX_NAME = 24  # characters of a name in the text
MAX_LABEL = 16  # ... and on a button


def team_report(member: Member, health: TeamHealth) -> Reply:
    lang = member.lang
    total = health.total
    lines = [t(lang, "health.team.head", date=fmt.day(lang, member.local(health.now).date()))]
    if total.customers == 0 and total.contacts == 0:
        lines.append(t(lang, "health.team.empty"))
        return Reply("\n".join(lines))
    lines += [
        t(
            lang,
            "health.team.core",
            pct=total.completeness if total.completeness is not None else 100,
            customers=total.customers,
            complete=total.complete,
        ),
        t(
            lang,
            "health.team.missing",
            customer=total.missing_customer,
            contact=total.missing_contact,
            phone=total.missing_phone,
            follow_up=total.missing_follow_up,
        ),
        t(lang, "health.team.phones", count=total.contacts_without_phone, contacts=total.contacts),
        t(
            lang,
            "health.team.untouched",
            d30=total.untouched_30,
            d60=total.untouched_60,
            d90=total.untouched_90,
        ),
        t(lang, "health.team.duplicates", count=total.duplicates),
        t(lang, "health.team.next_step", count=total.deals_without_next_step, deals=total.open_deals),
    ]
    if health.owners:
        lines += ["", t(lang, "health.team.by_owner")]
        lines += [_owner_line(lang, owner) for owner in health.owners[:OWNERS_SHOWN]]
        if len(health.owners) > OWNERS_SHOWN:
            lines.append(
                t(lang, "health.owners.more", count=len(health.owners) - OWNERS_SHOWN, team=health.team_id)
            )
    lines += ["", t(lang, "health.nudges.hint" if health.nudges else "health.nudges.off")]
    return Reply("\n".join(lines))


def _owner_line(lang: Lang, owner: OwnerHealth) -> str:
    figures = owner.figures
    name = owner.member.name if owner.member else f"#{owner.member_id}"
    if owner.member is not None and not owner.member.active:
        name += t(lang, "health.owner.inactive")
    parts = [
        t(lang, "health.owner.core", pct=figures.completeness, customers=figures.customers)
        if figures.completeness is not None
        else t(lang, "health.owner.no_customers")
    ]
    counted = (
        ("health.owner.phones", figures.contacts_without_phone),
        ("health.owner.follow_up", figures.missing_follow_up),
        ("health.owner.untouched", figures.untouched_30),
        ("health.owner.next_step", figures.deals_without_next_step),
        ("health.owner.duplicates", figures.duplicates),
    )
    parts += [t(lang, key, count=count) for key, count in counted if count]
    return t(lang, "health.owner", name=name, summary=" · ".join(parts))


def member_report(member: Member, health: MemberHealth) -> Reply:
    """A rep's /health: their completeness and the gaps they can close, with buttons."""
    lang = member.lang
    lines = [_head(lang, health.figures)]
    if health.empty:
        if health.figures.customers:
            lines.append(t(lang, "health.me.fine"))
        return Reply("\n".join(lines))
    lines.append(t(lang, "health.me.gaps"))
    lines += [_gap_line(lang, gap) for gap in health.gaps]
    return Reply("\n".join(lines), _gap_buttons(lang, health.gaps))


def nudge(member: Member, health: MemberHealth) -> Reply:
    """The weekly nudge: the rep's gaps, what to send for each, and buttons for a few of them."""
    lang = member.lang
    lines = [t(lang, "health.nudge.head"), ""]
    lines += [_gap_line(lang, gap) for gap in health.gaps]
    lines += ["", t(lang, "health.nudge.foot")]
    return Reply("\n".join(lines), _gap_buttons(lang, health.gaps))


def _head(lang: Lang, figures: Figures) -> str:
    if figures.completeness is None:
        return t(lang, "health.me.head.none")
    return t(lang, "health.me.head", pct=figures.completeness, customers=figures.customers)


def _gap_line(lang: Lang, gap: Gap) -> str:
    names = [_example(lang, example) for example in gap.examples]
    examples = t(lang, "health.examples", names=_join(lang, names)) if names else ""
    key = f"health.gap.{gap.kind.value}"
    return t(lang, f"{key}.one" if gap.count == 1 else key, count=gap.count, examples=examples)


def _example(lang: Lang, example: Example) -> str:
    name = _short(example.name, MAX_NAME) or t(lang, "health.unnamed")
    if example.company:
        return t(lang, "health.example.at", name=name, company=_short(example.company, MAX_NAME))
    return name


_ACTS = {
    GapKind.NO_PHONE: (Act.EDIT_FIELD, "phone"),  # the lead card's "phone" field: the next text is the number
    GapKind.NO_FOLLOW_UP: (Act.FOLLOW_UP, ""),  # the lead card's follow-up choices
    GapKind.NO_NEXT_STEP: (Act.DEAL_OPEN, ""),
    GapKind.UNTOUCHED: (Act.OPEN_CUSTOMER, ""),
    GapKind.NO_CONTACT: (Act.OPEN_CUSTOMER, ""),
}


def _gap_buttons(lang: Lang, gaps: Sequence[Gap]) -> tuple[tuple[Button, ...], ...]:
    buttons: list[Button] = []
    for gap in gaps:
        act, arg = _ACTS[gap.kind]
        usable = [e for e in gap.examples if e.target is not None][:BUTTONS_PER_GAP]
        buttons += [
            Button(
                t(
                    lang,
                    f"health.button.{gap.kind.value}",
                    name=_short(e.name, MAX_LABEL) or t(lang, "health.unnamed"),
                ),
                act,
                e.target or 0,
                arg,
            )
            for e in usable
        ]
    return rows(*buttons, width=2)


def _join(lang: Lang, items: Sequence[str]) -> str:
    return ("、" if lang is Lang.ZH else ", ").join(items)


def _short(text: str | None, limit: int) -> str:
    said = " ".join((text or "").split())
    return said if len(said) <= limit else said[: limit - 1] + "…"
