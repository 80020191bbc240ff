"""History and data health as real processes: a lead captured and corrected on the console, /history and
/health there, then `chatcrm audit` and `chatcrm health` on the same database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_deals_cli import chatcrm


def test_console_history_and_health_then_the_operator_commands(tmp_path: Path) -> None:
    stdin = (
        "张伟: 我是华为技术有限公司的采购经理张伟\n张伟: 预算50万，明年3月上线\n\n/history 华为\n/health\n"
    )
    done = chatcrm(tmp_path, "run", stdin=stdin)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "📜「华为技术有限公司」的变更记录（最新在前）" in out
    assert "采集（聊天）「张伟: 我是华为技术有限公司的采购经理张伟" in out
    assert "➕ 新建联系人「张伟」" in out
    assert "🩺 数据健康" in out and "📵 没有电话的联系人：1（共 1 位）" in out

    audit = chatcrm(tmp_path, "audit", "--team", "1", "--json")
    assert audit.returncode == 0, audit.stderr
    operations = json.loads(audit.stdout)
    capture = next(op for op in operations if op["action"] == "capture")
    assert capture["origin"]["kind"] == "capture" and capture["origin"]["source"] == "chat"
    assert {c["record"] for c in capture["changes"] if c["created"]} == {"customer:1", "contact:1", "deal:1"}

    text = chatcrm(tmp_path, "audit", "--team", "1", "--record", "customer:1", "--since", "2000-01-01")
    assert text.returncode == 0, text.stderr
    assert " capture  interaction:" in text.stdout and "+ contact:1 created" in text.stdout
    assert chatcrm(
        tmp_path, "audit", "--team", "1", "--record", "customer:1", "--since", "2999-01-01"
    ).stdout == ("no operations\n")

    health = chatcrm(tmp_path, "health", "--team", "1", "--json")
    assert health.returncode == 0, health.stderr
    data = json.loads(health.stdout)
    assert data["total"]["customers"] == 1 and data["total"]["contacts_without_phone"] == 1
    assert data["total"]["missing"] == {"customer": 0, "contact": 0, "phone": 1, "follow_up": 1}
    table = chatcrm(tmp_path, "health", "--team", "1")
    assert table.stdout.splitlines()[0].split()[:3] == ["OWNER", "CUSTOMERS", "CORE%"]
    assert table.stdout.splitlines()[-2].split()[:3] == ["TOTAL", "1", "50"]

    assert chatcrm(tmp_path, "audit", "--team", "1", "--record", "lead:1").returncode == 2
    assert chatcrm(tmp_path, "audit", "--team", "1", "--since", "last week").returncode == 2
    missing = chatcrm(tmp_path, "health", "--team", "9")
    assert missing.returncode == 1 and "no team 9" in missing.stderr
