"""The CLI as a new user meets it: quiet by default, and under --json a JSON answer even on failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import log_level

CHATCRM = [sys.executable, "-m", "bot"]


def chatcrm(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    clean.update(CHATCRM_DATA_DIR=str(tmp_path / "data"), CHATCRM_WHISPER_PRELOAD="false", **env)
    return subprocess.run(
        [*CHATCRM, *args], capture_output=True, text=True, env=clean, timeout=180, cwd=tmp_path, check=False
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["digest", "--json"], "no_team"),
        (["deals", "list", "--json"], "no_team"),
        (["digest", "--json", "--team", "7"], "no_team"),
        (["members", "list", "--json"], "no_team"),
        (["extract", "chat", "missing.txt", "--json"], "cannot_read"),
        (["digest", "--json", "--team", "seven"], "usage"),
        (["audit", "--team", "3", "--json"], "no_team"),
        (["audit", "--team", "3", "--since", "soon", "--json"], "usage"),
        (["health", "--team", "3", "--json"], "no_team"),
        (["route", "--team", "3", "--address", "上海市浦东新区", "--json"], "territories.no_team"),
    ],
)
def test_json_commands_answer_json_when_they_fail_and_log_nothing(
    tmp_path: Path, args: list[str], error: str
) -> None:
    done = chatcrm(tmp_path, *args)
    assert done.returncode in (1, 2)
    answer = json.loads(done.stdout)
    assert answer["error"] == error and answer["message"]
    assert done.stderr == ""  # no Alembic plugin lines, no migration lines


def test_without_json_the_failure_is_one_line_on_stderr(tmp_path: Path) -> None:
    done = chatcrm(tmp_path, "digest")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == "no team yet: start the assistant and send /start first"


def test_verbose_and_the_log_level_bring_the_logs_back(tmp_path: Path) -> None:
    verbose = chatcrm(tmp_path, "--verbose", "migrate")
    assert "alembic.runtime.plugins" in verbose.stderr
    assert "database at revision" in verbose.stdout
    (tmp_path / "again").mkdir()
    info = chatcrm(tmp_path / "again", "migrate", CHATCRM_LOG_LEVEL="info")
    assert "Running upgrade" in info.stderr
    assert "setup plugin" not in info.stderr  # even at INFO: only useful when debugging


@pytest.mark.parametrize(
    ("configured", "verbose", "serving", "level"),
    [
        (None, False, False, "WARNING"),
        (None, False, True, "INFO"),
        (None, True, False, "DEBUG"),
        ("ERROR", False, True, "ERROR"),
        ("ERROR", True, False, "DEBUG"),
    ],
)
def test_log_level(configured: str | None, verbose: bool, serving: bool, level: str) -> None:
    assert log_level(configured, verbose=verbose, serving=serving) == level


@pytest.mark.parametrize(
    ("secret", "named"),
    [(None, "TELEGRAM_WEBHOOK_SECRET is not"), ("has spaces and ünïcode", "may only hold")],
)
def test_a_webhook_without_a_usable_secret_refuses_to_start(
    tmp_path: Path, secret: str | None, named: str
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram"}
    if secret is not None:
        env["TELEGRAM_WEBHOOK_SECRET"] = secret
    done = chatcrm(tmp_path, "run", **env)
    assert done.returncode == 2
    assert named in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # nothing started, nothing written
    as_json = chatcrm(tmp_path, "digest", "--json", **env)
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"] == "settings"
