"""Territories as real processes: the console founds the team and routes a lead with /lead, then
`chatcrm territories check|load|show`, `chatcrm route` and `chatcrm pool list` on the same database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_deals_cli import chatcrm

GOOD = """
[limits]
daily_claims = 5

[[territory]]
name = "广州"
place = "广州市"
members = [1]
"""

BAD = """
[[territory]]
name = "火星"
place = "火星基地"
members = [99]

[[territory]]
name = "广州"
place = "广州"
members = [1]
"""


def test_territories_route_and_pool_from_the_command_line(tmp_path: Path) -> None:
    first = chatcrm(tmp_path, "run", stdin="/help\n")
    assert first.returncode == 0, first.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text(BAD, encoding="utf-8")
    checked = chatcrm(tmp_path, "territories", "check", str(bad), "--team", "1")
    assert checked.returncode == 1
    assert "line 4: unknown place “火星基地”" in checked.stderr

    no_team = tmp_path / "members.toml"
    no_team.write_text(BAD.replace('place = "火星基地"', 'place = "杭州"'), encoding="utf-8")
    members = chatcrm(tmp_path, "territories", "check", str(no_team), "--team", "1")
    assert members.returncode == 1 and "line 5: member 99 in “火星” is not in the team" in members.stderr

    good = tmp_path / "territories.toml"
    good.write_text(GOOD, encoding="utf-8")
    assert chatcrm(tmp_path, "territories", "check", str(good)).returncode == 0
    loaded = chatcrm(tmp_path, "territories", "load", str(good), "--team", "1")
    assert loaded.returncode == 0, loaded.stderr
    shown = chatcrm(tmp_path, "territories", "show", "--team", "1")
    assert 'place = "广州市"' in shown.stdout

    routed = chatcrm(tmp_path, "route", "--team", "1", "--address", "广州天河区体育西路", "--json")
    assert routed.returncode == 0, routed.stderr
    decision = json.loads(routed.stdout)
    assert decision["division"] == {
        "province": "广东省",
        "city": "广州市",
        "district": "天河区",
        "code": "440106",
    }
    assert (
        decision["region"]["key"] == "south"
        and decision["rule"] == "广州"
        and decision["matched_by"] == "city"
    )
    assert decision["assignee"]["id"] == 1 and decision["members"][0]["eligible"] is True
    unclear = json.loads(chatcrm(tmp_path, "route", "--team", "1", "--address", "朝阳", "--json").stdout)
    assert unclear["assignee"] is None and unclear["pool"] == "公海"
    assert len(unclear["candidates"]) >= 2 and unclear["reason"]["key"] == "routing.reason.region_unclear"
    text = chatcrm(tmp_path, "route", "--team", "1", "--address", "兰州", "--at", "2026-12-06T22:00:00+08:00")
    assert "sales region: northwest" in text.stdout and "pool: 公海" in text.stdout

    console = chatcrm(tmp_path, "run", stdin="/lead 李雷 13812344590 地址：朝阳\n/pool\n")
    assert console.returncode == 0, console.stderr
    assert "进入「公海」" in console.stdout and "138****4590" in console.stdout
    listing = chatcrm(tmp_path, "pool", "list", "--team", "1", "--json")
    assert listing.returncode == 0, listing.stderr
    (row,) = json.loads(listing.stdout)
    assert row["source"] == "forward" and row["pool"] == "公海"
    assert row["reason"]["key"] == "routing.reason.region_unclear"
