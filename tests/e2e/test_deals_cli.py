"""The pipeline as real processes: a deal advanced on the console (the text channel WeChat shares),
then `chatcrm digest`, `chatcrm deals list` and `chatcrm stages check|load|show` on the same database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHATCRM = [sys.executable, "-m", "bot"]

STAGES = """
stall_days = 7
[digest]
time = "08:30"

[[stage]]
key = "lead"
zh = "初步接触"
en = "First contact"
requires = ["budget"]

[[stage]]
key = "requirements"
zh = "需求确认"
en = "Needs agreed"

[requirement.budget]
kind = "field"
field = "budget"
zh = "预算"
en = "Budget"
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(CHATCRM_DATA_DIR=str(tmp_path / "data"), CHATCRM_LOG_LEVEL="WARNING", LANG="zh_CN.UTF-8")
    # Nothing here is a voice note: the Whisper model need not load in the background of each run.
    env.update(CHATCRM_WHISPER_PRELOAD="false")
    return env


def chatcrm(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHATCRM, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=180,
        cwd=tmp_path,
        check=False,
    )


def test_console_deal_then_the_operator_commands(tmp_path: Path) -> None:
    stdin = (
        "张伟: 我是华为技术有限公司的采购经理张伟，电话 13812345678\n张伟: 预算50万，明年3月上线\n\n"
        "/deal 华为\n"
        "推进到需求锁定\n\n"  # on the console, typed text ends at an empty line
        "推进到方案匹配\n\n"
        "/pipeline\n"
    )
    done = chatcrm(tmp_path, "run", stdin=stdin)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "📁 #D1 华为技术有限公司" in out
    assert "✅ #D1 已推进：① 线索激活 → ② 需求锁定" in out
    assert "⛔ #D1 华为技术有限公司 不能推进到「③ 方案匹配」，还缺 1 项：" in out
    assert "① 线索激活  0" in out and "② 需求锁定  1" in out

    digest = chatcrm(tmp_path, "digest", "--json")
    assert digest.returncode == 0, digest.stderr
    data = json.loads(digest.stdout)
    assert data["total_open"] == 1 and data["stall_days"] == 5
    assert [f["count"] for f in data["funnel"]] == [0, 1, 0, 0, 0]
    (line,) = data["at_risk"] + data["closing"]
    assert (
        line["tag"] == "#D1"
        and line["stage"] == "requirements"
        and line["missing"] == ["requirement_confirmation"]
    )
    assert line["completeness"] == 80 and line["advice"].startswith("需求未锁定")
    text = chatcrm(tmp_path, "digest", "--lang", "en")
    assert "Morning digest" in text.stdout and "② Requirements locked  1" in text.stdout

    listing = chatcrm(tmp_path, "deals", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    assert [(d["tag"], d["stage"], d["roles_required"]) for d in json.loads(listing.stdout)] == [
        ("#D1", "requirements", 3)
    ]

    bad = tmp_path / "bad.toml"
    bad.write_text(STAGES.replace('key = "lead"', 'key = "intro"'), encoding="utf-8")
    checked = chatcrm(tmp_path, "stages", "check", str(bad))
    assert checked.returncode == 1 and "The first stage's key must be “lead”" in checked.stderr

    good = tmp_path / "stages.toml"
    good.write_text(STAGES, encoding="utf-8")
    assert chatcrm(tmp_path, "stages", "check", str(good)).returncode == 0
    loaded = chatcrm(tmp_path, "stages", "load", str(good), "--team", "1")
    assert loaded.returncode == 0, loaded.stderr
    assert "lead (First contact) -> requirements (Needs agreed)" in loaded.stdout
    assert chatcrm(tmp_path, "stages", "show", "--team", "1").stdout.strip() == STAGES.strip()
    listing = chatcrm(tmp_path, "deals", "list")
    assert "#D1" in listing.stdout and "requirements" in listing.stdout
    missing_team = chatcrm(tmp_path, "stages", "load", str(good), "--team", "9")
    assert missing_team.returncode == 1 and "There is no team 9" in missing_team.stderr
