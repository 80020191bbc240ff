"""`chatcrm invite --role rep|manager`: an invite code made on the server, for WeChat and the console;
`chatcrm invite list` and `chatcrm invite revoke CODE` (bot/commands/members.py) take them back."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.commands.members import register_invite_actions
from bot.settings import Settings


def register(commands: Any) -> None:
    invite = commands.add_parser("invite", help="print an invite code for a team (run on the server)")
    invite.add_argument("--role", choices=["rep", "manager"], default="rep")
    invite.add_argument("--team", type=int, default=None, help="team id (default: the first team)")
    invite.set_defaults(handler=_invite)
    register_invite_actions(invite)


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from bot.wiring import build
    from crm.model import Role

    async def go() -> str | None:
        runtime = await build(settings)
        try:
            return await runtime.app.members.server_invite(Role(args.role), args.team)
        finally:
            await runtime.close()

    code = asyncio.run(go())
    if code is None:
        print("no team yet: start the assistant and send /start first", file=sys.stderr)
        return 1
    print(code)
    return 0
