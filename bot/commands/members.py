"""`chatcrm members …` and `chatcrm invite list|revoke`: the team's administration from the server, with
an admin's powers (the team still keeps an active admin).

chatcrm members list [--team ID] [--json]                      everyone, with what they own
chatcrm members deactivate MEMBER [--to MEMBER] [--team ID]    access ends at once, records handed over
chatcrm members reactivate MEMBER [--team ID]                  access back (records stay where they went)
chatcrm members role MEMBER rep|manager|admin [--team ID]      change a role
chatcrm members reassign MEMBER [--to MEMBER] [--team ID]      hand a member's records to another
chatcrm invite list [--team ID] [--json]                       open invites
chatcrm invite revoke CODE [--json]                            nobody can join with it any more

MEMBER is the id `members list` shows. --team may be left out while there is one team. Every command
takes --json: the result as JSON, or {"error": …, "message": …} with exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot.commands.common import fail
from bot.settings import Settings

Work = Callable[[Any, Any], Awaitable[Any]]  # (RosterService, Operator) -> what to print


def register(commands: Any) -> None:
    members = commands.add_parser("members", help="a team's members: list, deactivate, roles, hand-over")
    actions = members.add_subparsers(title="actions", metavar="ACTION")

    listing = actions.add_parser("list", help="every member, deactivated ones too, with what they own")
    _common(listing)
    listing.set_defaults(handler=_list)

    deactivate = actions.add_parser("deactivate", help="end a member's access and hand over their records")
    deactivate.add_argument("member", type=int, help="member id (see `members list`)")
    deactivate.add_argument("--to", type=int, default=None, help="who takes over (default: the manager)")
    _common(deactivate)
    deactivate.set_defaults(handler=_deactivate)

    reactivate = actions.add_parser("reactivate", help="give a deactivated member their access back")
    reactivate.add_argument("member", type=int, help="member id")
    _common(reactivate)
    reactivate.set_defaults(handler=_reactivate)

    role = actions.add_parser("role", help="change a member's role")
    role.add_argument("member", type=int, help="member id")
    role.add_argument("role", choices=["rep", "manager", "admin"])
    _common(role)
    role.set_defaults(handler=_role)

    reassign = actions.add_parser(
        "reassign", help="hand a member's customers, deals and reminders to another"
    )
    reassign.add_argument("member", type=int, help="member id")
    reassign.add_argument("--to", type=int, default=None, help="who takes over (default: the manager)")
    _common(reassign)
    reassign.set_defaults(handler=_reassign)


def register_invite_actions(invite: argparse.ArgumentParser) -> None:
    """`chatcrm invite list` and `chatcrm invite revoke CODE`, beside `chatcrm invite --role`."""
    actions = invite.add_subparsers(title="actions", metavar="ACTION")
    listing = actions.add_parser("list", help="open invites: not used, revoked or expired")
    # SUPPRESS: `chatcrm invite --team 2 list` keeps the --team given before the action.
    _common(listing, team_default=argparse.SUPPRESS)
    listing.set_defaults(handler=_invites)
    revoke = actions.add_parser("revoke", help="revoke an open invite")
    revoke.add_argument("code")
    _common(revoke, team_default=argparse.SUPPRESS)
    revoke.set_defaults(handler=_revoke)


def _common(parser: argparse.ArgumentParser, team_default: Any = None) -> None:
    parser.add_argument(
        "--team", type=int, default=team_default, help="team id (may be left out with one team)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


# --- the commands --------------------------------------------------------------------------------


def _list(settings: Settings, args: argparse.Namespace) -> int:
    async def work(roster: Any, op: Any) -> Any:
        return await roster.roster(op)

    return _run(settings, args, work, _show_roster)


def _deactivate(settings: Settings, args: argparse.Namespace) -> int:
    async def work(roster: Any, op: Any) -> Any:
        return await roster.deactivate(op, args.member, args.to)

    return _run(settings, args, work, _show_deactivated)


def _reactivate(settings: Settings, args: argparse.Namespace) -> int:
    async def work(roster: Any, op: Any) -> Any:
        return await roster.reactivate(op, args.member)

    return _run(settings, args, work, lambda member, as_json: _print(_member(member), as_json))


def _role(settings: Settings, args: argparse.Namespace) -> int:
    from crm.model import Role

    async def work(roster: Any, op: Any) -> Any:
        return await roster.set_role(op, args.member, Role(args.role))

    def show(changed: Any, as_json: bool) -> None:
        _print({**_member(changed.member), "previous_role": changed.before.value}, as_json)

    return _run(settings, args, work, show)


def _reassign(settings: Settings, args: argparse.Namespace) -> int:
    async def work(roster: Any, op: Any) -> Any:
        return await roster.reassign(op, args.member, args.to)

    def show(done: Any, as_json: bool) -> None:
        data = {"member": done.source.id, "successor": _member(done.successor), "moved": done.moved.ids()}
        _print(data, as_json)

    return _run(settings, args, work, show)


def _invites(settings: Settings, args: argparse.Namespace) -> int:
    async def work(roster: Any, op: Any) -> Any:
        return await roster.open_invites(op)

    def show(found: Any, as_json: bool) -> None:
        rows = [
            {
                "code": item.invite.code,
                "role": item.invite.role.value,
                "created_by": item.creator.name if item.creator else None,
                "created_at": item.invite.created_at.isoformat(),
                "expires_at": item.invite.expires_at.isoformat(),
            }
            for item in found
        ]
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        elif not rows:
            print("no open invites")
        for row in [] if as_json else rows:
            print(f"{row['code']}  {row['role']:<8} by {row['created_by']}  until {row['expires_at']}")

    return _run(settings, args, work, show)


def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    async def work(roster: Any, op: Any) -> Any:
        return await roster.revoke_invite(op, args.code)

    def show(invite: Any, as_json: bool) -> None:
        data = {"code": invite.code, "role": invite.role.value, "revoked_at": invite.revoked_at.isoformat()}
        _print(data, as_json)

    return _run(settings, args, work, show, by_code=args.code)


# --- running and printing ------------------------------------------------------------------------


def _run(
    settings: Settings,
    args: argparse.Namespace,
    work: Work,
    show: Callable[[Any, bool], None],
    *,
    by_code: str | None = None,
) -> int:
    """Opens the migrated database, finds the team, runs `work` as the server's operator and prints
    what it returned; a refusal is printed (English, or a JSON error object) with exit status 1."""
    from chat.messages import t
    from crm.clock import SystemClock
    from crm.errors import ChatCrmError
    from crm.model import Lang
    from crm.roster import Operator, RosterService
    from storage.database import Database

    async def go() -> Any:
        database = Database(settings.database)
        try:
            await database.migrate()
            team_id = await _team(database, getattr(args, "team", None), by_code)
            return await work(RosterService(database.uow, SystemClock()), Operator(team_id))
        finally:
            await database.close()

    try:
        result = asyncio.run(go())
    except _NoTeam as exc:
        return fail(args.json, "no_team", str(exc))
    except ChatCrmError as exc:
        return fail(args.json, exc.key, t(Lang.EN, exc.key, **exc.params))
    show(result, args.json)
    return 0


class _NoTeam(Exception):
    pass


async def _team(database: Any, team_id: int | None, by_code: str | None) -> int:
    """The team asked for; else the invite's team for `invite revoke`; else the only team."""
    async with database.uow(read_only=True) as uow:
        teams = await uow.teams.all()
        invite = await uow.invites.get(by_code.strip()) if by_code and team_id is None else None
    if team_id is not None:
        if all(team.id != team_id for team in teams):
            raise _NoTeam(f"no team {team_id}")
        return team_id
    if invite is not None:
        return int(invite.team_id)
    if not teams:
        raise _NoTeam("no team yet: start the assistant and send /start first")
    if len(teams) > 1:
        raise _NoTeam("several teams: name one with --team ID")
    return int(teams[0].id)


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        print(f"{key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value}")


def _member(member: Any) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "role": member.role.value,
        "active": member.active,
        "created_at": member.created_at.isoformat(),
        "deactivated_at": member.deactivated_at.isoformat() if member.deactivated_at else None,
    }


def _show_roster(entries: Any, as_json: bool) -> None:
    rows = [
        {
            **_member(entry.member),
            "channels": [channel.value for channel in entry.channels],
            "customers": entry.holdings.customers,
            "open_deals": entry.holdings.deals,
            "open_reminders": entry.holdings.reminders,
        }
        for entry in entries
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print(f"{'id':>4}  {'role':<8} {'status':<12} {'customers':>9} {'deals':>6} {'reminders':>9}  name")
    for row in rows:
        status = "active" if row["active"] else "deactivated"
        print(
            f"{row['id']:>4}  {row['role']:<8} {status:<12} {row['customers']:>9} {row['open_deals']:>6} "
            f"{row['open_reminders']:>9}  {row['name']} ({', '.join(row['channels']) or '-'})"
        )


def _show_deactivated(done: Any, as_json: bool) -> None:
    data = {
        "member": _member(done.member),
        "already_deactivated": done.already,
        "successor": None if done.already else _member(done.successor),
        "moved": done.moved.ids(),
        "invites_revoked": list(done.revoked_invites),
    }
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if done.already:
        print(f"member {done.member.id} ({done.member.name}) was already deactivated")
        return
    counts = ", ".join(f"{count} {kind}" for kind, count in done.moved.counts().items())
    print(f"member {done.member.id} ({done.member.name}) deactivated: access ended on every channel")
    print(f"handed to member {done.successor.id} ({done.successor.name}): {counts}")
    if done.revoked_invites:
        print(f"revoked their open invites: {', '.join(done.revoked_invites)}")
