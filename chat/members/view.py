"""How membership reads: the help text (with the managers' part for managers), role names, and the
operators' screens: the roster, a member's card, the hand-over choice, open invites."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from chat.format import when
from chat.messages import t
from chat.views import Act, Button, Reply, rows
from crm.model import Lang, Member, Role, Transfer
from crm.roster import Deactivated, Handover, OpenInvite, Reassigned, RoleChanged, RosterEntry


class MemberAct(StrEnum):
    """The operators' buttons (codes unique among every feature's actions)."""

    OPEN = "mo"  # target: member id
    DEACTIVATE = "mx"  # target: member id; arg: successor id, or "" to choose one
    REACTIVATE = "mz"  # target: member id
    ROLE = "mr"  # target: member id; arg: the new role
    REASSIGN = "mt"  # target: member id; arg: successor id, or "" to choose one
    REVOKE_INVITE = "iv"  # arg: invite code


def help_text(member: Member) -> Reply:
    body = t(member.lang, "help")
    if member.role is not Role.REP:
        body += t(member.lang, "help.manager")
    return Reply(body)


def role_name(lang: Lang, role: Role) -> str:
    return t(lang, f"role.{role.value}")


def _status(lang: Lang, member: Member) -> str:
    return "" if member.active else t(lang, "members.inactive_mark")


def _may_open(actor: Member, member: Member) -> bool:
    return actor.role is Role.ADMIN or member.role is Role.REP


# Telegram takes about a hundred buttons under one message; a large team narrows the list by name.
MAX_BUTTONS = 40


def roster(actor: Member, entries: Sequence[RosterEntry], query: str = "") -> Reply:
    """/members [name]: everyone (or whose name contains `query`), deactivated ones marked; a button
    for each member the actor may manage, up to MAX_BUTTONS."""
    lang = actor.lang
    wanted = query.strip().casefold()
    numbered = [(n, e) for n, e in enumerate(entries, 1) if not wanted or wanted in e.member.name.casefold()]
    lines = [t(lang, "members.title", count=len(numbered))]
    buttons = []
    for number, entry in numbered:
        member = entry.member
        lines.append(
            t(
                lang,
                "members.line",
                number=number,
                name=member.name,
                role=role_name(lang, member.role),
                status=_status(lang, member),
            )
        )
        if any((entry.holdings.customers, entry.holdings.deals, entry.holdings.reminders)):
            lines.append("   " + _holdings(lang, entry))
        if _may_open(actor, member):
            buttons.append(Button(f"{number}. {member.name}", MemberAct.OPEN, member.id))
    if len(buttons) > MAX_BUTTONS:
        buttons = buttons[:MAX_BUTTONS]
        lines.append(t(lang, "members.narrow"))
    if buttons:
        lines.append(t(lang, "members.pick"))
    return Reply("\n".join(lines), rows(*buttons, width=2))


def _holdings(lang: Lang, entry: RosterEntry | Handover) -> str:
    held = entry.holdings
    return t(lang, "members.holdings", customers=held.customers, deals=held.deals, reminders=held.reminders)


def card(actor: Member, entry: RosterEntry) -> Reply:
    """One member: role, status, what they own, their channels, and what the actor may do."""
    lang, member = actor.lang, entry.member
    lines = [
        t(
            lang,
            "members.card",
            name=member.name,
            role=role_name(lang, member.role),
            status=_status(lang, member),
        ),
        _holdings(lang, entry),
    ]
    if entry.channels:
        lines.append(t(lang, "members.channels", channels=", ".join(c.value for c in entry.channels)))
    lines.append(t(lang, "members.since", when=when(lang, member.created_at, actor.tz)))
    if member.deactivated_at is not None:
        lines.append(t(lang, "members.deactivated_on", when=when(lang, member.deactivated_at, actor.tz)))
    buttons: list[Button] = []
    if member.active:
        buttons.append(Button(t(lang, "button.member_deactivate"), MemberAct.DEACTIVATE, member.id))
        if actor.role is Role.ADMIN:
            buttons += [
                Button(
                    t(lang, "button.member_role", role=role_name(lang, role)),
                    MemberAct.ROLE,
                    member.id,
                    role.value,
                )
                for role in Role
                if role is not member.role
            ]
    else:
        buttons.append(Button(t(lang, "button.member_reactivate"), MemberAct.REACTIVATE, member.id))
    buttons.append(Button(t(lang, "button.member_reassign"), MemberAct.REASSIGN, member.id))
    return Reply("\n".join(lines), rows(*buttons, width=2))


def successors(lang: Lang, handover: Handover, act: MemberAct, key: str) -> Reply:
    """The choice of who takes over (the default first); choosing one is the confirmation."""
    member = handover.member
    lines = [t(lang, key, name=member.name), _holdings(lang, handover)]
    buttons = [
        Button(
            t(
                lang,
                "button.successor_default" if index == 0 and handover.default else "button.successor",
                name=m.name,
            ),
            act,
            member.id,
            str(m.id),
        )
        for index, m in enumerate(handover.candidates)
    ]
    buttons.append(Button(t(lang, "button.cancel"), Act.CANCEL))
    return Reply("\n".join(lines), rows(*buttons, width=1))


def _moved(lang: Lang, moved: Transfer) -> str:
    return t(lang, "members.moved", **moved.counts())


def deactivated(lang: Lang, done: Deactivated) -> Reply:
    if done.already:
        return Reply(t(lang, "members.already_inactive", name=done.member.name))
    lines = [
        t(
            lang,
            "members.deactivated",
            name=done.member.name,
            successor=done.successor.name,
            moved=_moved(lang, done.moved),
        )
    ]
    if done.revoked_invites:
        lines.append(t(lang, "members.invites_revoked", count=len(done.revoked_invites)))
    return Reply("\n".join(lines))


def reassigned(lang: Lang, done: Reassigned) -> Reply:
    return Reply(
        t(
            lang,
            "members.reassigned",
            name=done.source.name,
            successor=done.successor.name,
            moved=_moved(lang, done.moved),
        )
    )


def role_changed(lang: Lang, changed: RoleChanged) -> Reply:
    member = changed.member
    key = "members.role_same" if changed.before is member.role else "members.role_set"
    return Reply(t(lang, key, name=member.name, role=role_name(lang, member.role)))


def invites(actor: Member, found: Sequence[OpenInvite]) -> Reply:
    """/invites: the open invites with a revoke button each."""
    lang = actor.lang
    if not found:
        return Reply(t(lang, "invites.none"))
    lines = [t(lang, "invites.title", count=len(found))]
    buttons: list[Button] = []
    for number, open_invite in enumerate(found, 1):
        invite = open_invite.invite
        lines.append(
            t(
                lang,
                "invites.line",
                number=number,
                code=invite.code,
                role=role_name(lang, invite.role),
                creator=open_invite.creator.name if open_invite.creator else "?",
                expires=when(lang, invite.expires_at, actor.tz),
            )
        )
        if len(buttons) < MAX_BUTTONS:
            buttons.append(
                Button(
                    t(lang, "button.invite_revoke", code=invite.code), MemberAct.REVOKE_INVITE, 0, invite.code
                )
            )
    return Reply("\n".join(lines), rows(*buttons, width=1))
