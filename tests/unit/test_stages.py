"""The funnel configuration: the default, finding stages by what members type, what advancing needs,
and strict validation that reports every problem of a file."""

from __future__ import annotations

from datetime import time

import pytest

from chat.messages import t
from crm.facts import DecisionRole
from crm.model import Lang
from crm.stages import (
    WON,
    FieldName,
    ReqKind,
    StageConfigError,
    default_funnel,
    default_source,
    parse,
    parse_bytes,
    team_funnel,
)

MINIMAL = """
[[stage]]
key = "lead"
zh = "线索"
en = "Lead"
requires = ["budget"]

[[stage]]
key = "pitch"
zh = "方案"
en = "Pitch"
requires = ["deck"]

[requirement.budget]
kind = "field"
field = "budget"
zh = "预算"
en = "Budget"

[requirement.deck]
kind = "evidence"
zh = "方案文件"
en = "Deck"
keywords = ["Deck", "方案"]
"""


def test_the_default_funnel_is_the_issue_s_five_stages() -> None:
    funnel = default_funnel()
    assert [s.key for s in funnel.stages] == ["lead", "requirements", "solution", "decision_chain", "closing"]
    assert [s.zh for s in funnel.stages] == ["线索激活", "需求锁定", "方案匹配", "决策链穿透", "临门一脚"]
    assert [s.en for s in funnel.stages] == [
        "Lead activated",
        "Requirements locked",
        "Solution matched",
        "Decision chain covered",
        "Closing",
    ]
    assert funnel.stall_days == 5
    assert funnel.digest_time == time(9, 0) and funnel.workdays_only
    assert funnel.required_roles() == (DecisionRole.PROCUREMENT, DecisionRole.TECHNICAL, DecisionRole.FINANCE)
    lead = funnel.exit_requirements("lead")
    assert [(r.kind, r.field) for r in lead] == [
        (ReqKind.FIELD, FieldName.BUDGET),
        (ReqKind.FIELD, FieldName.TIMELINE),
    ]
    assert funnel.requirements["no_objections"].declare
    assert not funnel.requirements["contract_draft"].declare
    assert funnel.stages[1].label(Lang.ZH) == "② 需求锁定"
    assert funnel.stages[1].label(Lang.EN) == "② Requirements locked"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("方案匹配", "solution"),
        ("「方案匹配」", "solution"),
        ("solution matched", "solution"),
        ("Solution Matched", "solution"),
        ("solution", "solution"),
        ("3", "solution"),
        ("③", "solution"),
        ("临门一脚", "closing"),
        ("赢单", WON),
        ("won", WON),
        ("成交", WON),
        ("方案", None),
        ("下周", None),
        ("", None),
    ],
)
def test_find_stage(typed: str, key: str | None) -> None:
    assert default_funnel().find_stage(typed) == key


@pytest.mark.parametrize(
    ("current", "target", "needed"),
    [
        ("lead", "requirements", ["budget", "timeline"]),
        ("lead", "solution", ["budget", "timeline", "requirement_confirmation"]),
        ("requirements", "solution", ["requirement_confirmation"]),
        ("closing", WON, ["contract_draft", "no_objections"]),
        (
            "decision_chain",
            WON,
            [
                "procurement_contact",
                "technical_contact",
                "finance_contact",
                "contract_draft",
                "no_objections",
            ],
        ),
        ("solution", "lead", []),  # moving back needs nothing
        ("solution", "solution", []),
    ],
)
def test_advancing_needs_the_exit_criteria_of_every_stage_passed(
    current: str, target: str, needed: list[str]
) -> None:
    assert [r.key for r in default_funnel().needed(current, target)] == needed


def test_a_minimal_team_file_loads() -> None:
    funnel = parse(MINIMAL)
    assert [s.key for s in funnel.stages] == ["lead", "pitch"]
    assert funnel.after("lead") == "pitch" and funnel.after("pitch") == WON
    assert funnel.requirements["deck"].keywords == ("deck", "方案")  # folded to lower case
    assert funnel.stall_days == 5 and funnel.required_roles() == ()
    assert funnel.source == MINIMAL


@pytest.mark.parametrize(
    ("source", "thresholds"),
    [
        (MINIMAL, {"lead": 5, "pitch": 5, "gone": 5}),
        ("stall_days = 3\n" + MINIMAL, {"lead": 3, "pitch": 3, "gone": 3}),
        (
            MINIMAL.replace('requires = ["deck"]', 'requires = ["deck"]\nstall_days = 10'),
            {"lead": 5, "pitch": 10},
        ),
        (
            "stall_days = 2\n"
            + MINIMAL.replace('requires = ["budget"]', 'requires = ["budget"]\nstall_days = 1'),
            {"lead": 1, "pitch": 2, "gone": 2},
        ),
    ],
    ids=["default", "funnel", "one stage", "both"],
)
def test_each_stage_may_have_its_own_stall_threshold(source: str, thresholds: dict[str, int]) -> None:
    funnel = parse(source)
    assert {key: funnel.stall_days_for(key) for key in thresholds} == thresholds


def _with(extra: str, base: str = MINIMAL) -> str:
    return base + "\n" + extra


# Each bad file, and every problem it must report (message keys without the "stages.problem." prefix).
BAD = [
    ("no_stages", "stall_days = 5\n", ["no_stages"]),
    ("syntax", "[[stage]\nkey = ", ["syntax"]),
    ("stall_days", "stall_days = 0\n" + MINIMAL, ["range"]),
    ("stall_days_type", 'stall_days = "five"\n' + MINIMAL, ["range"]),
    ("unknown_top", "colour = 1\n" + MINIMAL, ["unknown_key"]),
    ("bad_time", '[digest]\ntime = "9am"\n' + MINIMAL.replace("[[stage]]", "[[stage]]", 1), ["bad_time"]),
    ("first_not_lead", MINIMAL.replace('key = "lead"', 'key = "intro"'), ["first"]),
    ("reserved", _with('[[stage]]\nkey = "won"\nzh = "赢"\nen = "Won"'), ["reserved"]),
    ("duplicate", _with('[[stage]]\nkey = "pitch"\nzh = "再"\nen = "Again"'), ["duplicate_stage"]),
    ("key_format", _with('[[stage]]\nkey = "Big Deal"\nzh = "大"\nen = "Big"'), ["key_format"]),
    (
        "undefined",
        MINIMAL.replace('requires = ["deck"]', 'requires = ["deck", "nda"]'),
        ["undefined_requirement"],
    ),
    ("missing_name", _with('[[stage]]\nkey = "x"\nen = "X"'), ["missing"]),
    ("bad_kind", MINIMAL.replace('kind = "evidence"', 'kind = "document"'), ["bad_kind", "not_for_kind"]),
    ("bad_field", MINIMAL.replace('field = "budget"', 'field = "revenue"'), ["bad_field"]),
    (
        "bad_role",
        _with('[requirement.cto]\nkind = "role"\nrole = "cto"\nzh = "CTO"\nen = "CTO"'),
        ["bad_role"],
    ),
    (
        "keywords_on_field",
        MINIMAL.replace('field = "budget"', 'field = "budget"\nkeywords = ["钱"]'),
        ["not_for_kind"],
    ),
    ("declare_type", MINIMAL.replace('keywords = ["Deck", "方案"]', 'declare = "yes"'), ["type"]),
    (
        "stage_stall_days",
        MINIMAL.replace('requires = ["deck"]', 'requires = ["deck"]\nstall_days = 0'),
        ["range"],
    ),
    (
        "stage_stall_days_type",
        MINIMAL.replace('requires = ["deck"]', 'requires = ["deck"]\nstall_days = true'),
        ["range"],
    ),
    (
        "several at once",
        "stall_days = 999\ncolour = 1\n" + MINIMAL.replace('requires = ["deck"]', 'requires = ["nda"]'),
        ["range", "unknown_key", "undefined_requirement"],
    ),
]


@pytest.mark.parametrize(("source", "problems"), [(b[1], b[2]) for b in BAD], ids=[b[0] for b in BAD])
def test_bad_files_are_refused_with_every_problem(source: str, problems: list[str]) -> None:
    with pytest.raises(StageConfigError) as caught:
        parse(source)
    assert sorted(p.key.removeprefix("stages.problem.") for p in caught.value.problems) == sorted(problems)
    for problem in caught.value.problems:
        for lang in Lang:
            text = t(lang, problem.key, **dict(problem.params))
            assert text != problem.key and "{" not in text, text


def test_a_file_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(StageConfigError) as caught:
        parse_bytes("stall_days = 5 # 天".encode("gbk"))
    assert [p.key for p in caught.value.problems] == ["stages.problem.encoding"]


def test_a_huge_file_is_refused() -> None:
    with pytest.raises(StageConfigError) as caught:
        parse(MINIMAL + "#" * 70_000)
    assert [p.key for p in caught.value.problems] == ["stages.problem.too_large"]


def test_team_settings_select_the_funnel() -> None:
    assert team_funnel({}).source == default_source()
    assert [s.key for s in team_funnel({"pipeline_toml": MINIMAL}).stages] == ["lead", "pitch"]
    # A stored text that no longer validates falls back to the default rather than breaking deals.
    assert team_funnel({"pipeline_toml": "[[stage]]"}).source == default_source()
