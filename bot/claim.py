"""The admin claim code: while no team exists, `chatcrm run` with a public channel (Telegram, WeChat)
prints a one-time code, and only the person who sends `/start CODE` founds the team and becomes its
admin. A stranger who finds the bot first gets nowhere. The code lives in the database, so every
process of the installation prints the same one and any of them accepts it, once."""

from __future__ import annotations

import sys
from typing import TextIO

from crm.members import MemberService, show_claim

NOTICE = """\
chatcrm has no team yet. Send this to the bot (Telegram or WeChat) to found the team and become its admin:
    /start {code}
chatcrm 还没有团队。向机器人（Telegram 或微信）发送下面这条消息，即可创建团队并成为管理员：
    /start {code}
The code works once. 认领码只能使用一次。"""


async def announce_claim(members: MemberService, out: TextIO | None = None) -> str | None:
    """Prints the claim code while no team exists (the same code until it is used); the code, or None
    once a team exists. Printed, never logged: it is a secret for the operator's eyes."""
    code = await members.claim_code()
    if code is not None:
        print(NOTICE.format(code=show_claim(code)), file=out or sys.stdout, flush=True)
    return code
