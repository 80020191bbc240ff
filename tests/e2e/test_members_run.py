"""Access as real processes: a fresh Telegram installation founded only with the claim code that
`chatcrm run` prints, and the operators' `chatcrm members …` and `chatcrm invite list|revoke`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from chat.app import App, Ports
from crm.clock import SystemClock
from crm.inputs import ChatMessage
from crm.model import Role
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.database import Database
from storage.files import FileSpool
from tests.support.claim import read_claim_code
from tests.support.fake_telegram import TOKEN, FakeTelegram, message, user
from tests.support.team import join_team

CHATCRM = [sys.executable, "-m", "bot"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(CHATCRM_DATA_DIR=str(tmp_path / "data"), CHATCRM_LOG_LEVEL="INFO", LANG="zh_CN.UTF-8")
    env.update(CHATCRM_WHISPER_PRELOAD="false")
    env.update(extra)
    return env


def _members(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "data" / "chatcrm.db") as conn:
        query = "SELECT i.external_id, m.role FROM members m JOIN identities i ON i.member_id = m.id"
        return [(row[0], row[1]) for row in conn.execute(query)]


async def test_a_fresh_telegram_installation_is_founded_with_the_printed_code(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.base_url)
    process = await asyncio.create_subprocess_exec(
        *CHATCRM, "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        code = await read_claim_code(process)
        stranger, founder = user(666, "Stranger"), user(1, "Boss")
        # Whoever finds the bot first gets nowhere without the code...
        fake.push(message(stranger, "/start", 1))
        await fake.wait_for(lambda: any("管理员认领码" in text for text in fake.sent_texts()), timeout=60)
        fake.push(message(stranger, "/start ABCD-EFGH-JKLM", 2))
        await fake.wait_for(lambda: any("认领码不对" in text for text in fake.sent_texts()), timeout=30)
        # ...the operator's founder, with it, becomes the admin.
        fake.push(message(founder, f"/start {code}", 3))
        await fake.wait_for(lambda: any("你是管理员" in text for text in fake.sent_texts()), timeout=30)
        fake.push(message(stranger, f"/start {code}", 4))  # spent
        await fake.wait_for(lambda: len(fake.sent_texts()) >= 4, timeout=30)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.stop()
    assert process.returncode == 0, stderr.decode()
    assert "你是管理员" not in fake.sent_texts()[-1]
    assert _members(tmp_path) == [("1", "admin")]
    assert code not in stderr.decode() and code.replace("-", "") not in stderr.decode()  # never logged


def chatcrm(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHATCRM, *args],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=180,
        cwd=tmp_path,
        check=False,
    )


async def _prepare(tmp_path: Path, extractor: Extractor) -> dict[str, int | str]:
    """A team on the database the commands will use: admin, manager, two reps, a lead, open invites."""
    (tmp_path / "data").mkdir()
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'chatcrm.db'}")
    await database.migrate()
    app = App(Ports(database.uow, SystemClock(), extractor, Normalizer(), FileSpool(tmp_path / "spool")))
    try:
        team = await join_team(app)
        await app.capture.chat(team.rep, [ChatMessage("华为技术有限公司 张伟 13812345678 预算50万", key="k")])
        manager_invite = await app.members.invite(team.manager, Role.REP)
        admin_invite = await app.members.invite(team.admin, Role.MANAGER)
    finally:
        await database.close()
    return {
        "admin": team.admin.id,
        "manager": team.manager.id,
        "rep": team.rep.id,
        "rep2": team.rep2.id,
        "manager_invite": manager_invite.code,
        "admin_invite": admin_invite.code,
    }


def test_the_operator_commands(tmp_path: Path, extractor: Extractor) -> None:
    ids = asyncio.run(_prepare(tmp_path, extractor))

    listing = chatcrm(tmp_path, "members", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = {row["name"]: row for row in json.loads(listing.stdout)}
    assert rows["小李"]["customers"] == 1 and rows["小李"]["channels"] == ["telegram"]
    assert [row["role"] for row in rows.values()] == ["admin", "manager", "rep", "rep"]

    invites = chatcrm(tmp_path, "invite", "list", "--json")
    assert [i["code"] for i in json.loads(invites.stdout)] == [ids["manager_invite"], ids["admin_invite"]]

    gone = chatcrm(tmp_path, "members", "deactivate", str(ids["rep"]), "--json")
    assert gone.returncode == 0, gone.stderr
    done = json.loads(gone.stdout)
    assert done["successor"]["id"] == ids["manager"] and len(done["moved"]["customers"]) == 1

    moved = chatcrm(tmp_path, "members", "reassign", str(ids["rep"]), "--to", str(ids["rep2"]), "--json")
    assert json.loads(moved.stdout)["moved"]["customers"] == []  # the hand-over took everything already
    back = chatcrm(tmp_path, "members", "reassign", str(ids["manager"]), "--to", str(ids["rep2"]))
    assert back.returncode == 0 and "customers" in back.stdout

    # The manager leaves; their open invite goes with them. The last admin cannot step down.
    promoted = chatcrm(tmp_path, "members", "role", str(ids["manager"]), "admin", "--json")
    assert json.loads(promoted.stdout)["previous_role"] == "manager"
    assert chatcrm(tmp_path, "members", "role", str(ids["admin"]), "rep").returncode == 0
    refused = chatcrm(tmp_path, "members", "deactivate", str(ids["manager"]), "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout) == {
        "error": "members.last_admin",
        "message": "The team needs an active admin: make someone else admin first.",
    }

    revoked = chatcrm(tmp_path, "invite", "revoke", str(ids["admin_invite"]), "--json")
    assert revoked.returncode == 0, revoked.stderr
    again = chatcrm(tmp_path, "invite", "revoke", str(ids["admin_invite"]))
    assert again.returncode == 1 and "already used, revoked or expired" in again.stderr
    still_open = json.loads(chatcrm(tmp_path, "invite", "list", "--json").stdout)
    assert still_open == json.loads(invites.stdout)[:1]  # the manager's invite for a rep

    table = chatcrm(tmp_path, "members", "list")
    assert "deactivated" in table.stdout and "小李" in table.stdout
    unknown = chatcrm(tmp_path, "members", "deactivate", "99", "--team", "7")
    assert unknown.returncode == 1 and "no team 7" in unknown.stderr

    with sqlite3.connect(tmp_path / "data" / "chatcrm.db") as conn:
        actions = [
            row[0] for row in conn.execute("SELECT action FROM audit WHERE actor_id IS NULL ORDER BY id")
        ]
    assert actions == [
        "member.deactivated",
        "member.reassigned",
        "member.reassigned",
        "member.role",
        "member.role",
        "invite.revoked",
    ]
