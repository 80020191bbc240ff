"""A team on an application wired by the test itself (PostgreSQL, the card kit, the voice kit), where
the `team` fixture of tests/conftest.py (bound to the SQLite `app` fixture) does not reach."""

from __future__ import annotations

from chat.app import App
from crm.model import Role
from tests.conftest import Team, person


async def join_team(app: App) -> Team:
    """An admin who founds the team, then a manager and two reps joined through real invites."""
    founded = await app.members.start(person("1", "Admin"), None)
    assert founded.member is not None
    admin = founded.member
    members = []
    for external, name, role in (
        ("2", "经理", Role.MANAGER),
        ("3", "小李", Role.REP),
        ("4", "小王", Role.REP),
    ):
        invite = await app.members.invite(admin, role)
        joined = (await app.members.start(person(external, name), invite.code)).member
        assert joined is not None
        members.append(joined)
    manager, rep, rep2 = members
    return Team(admin, manager, rep, rep2)
