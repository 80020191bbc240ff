"""The sales funnel: stages, what each requires before a deal may leave it, the stall threshold and the
digest time. The default lives in crm/funnel.toml; a team may load its own file of the same shape.

Loading validates strictly and collects every problem, so an admin fixes a file in one round; a file
with any problem changes nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

from crm.errors import InputRejected
from crm.facts import DecisionRole
from crm.model import Lang

FIRST_STAGE_KEY = "lead"  # new customers' deals open here (crm.records.open_first_deal)
WON = "won"
LOST = "lost"
RESERVED = frozenset({WON, LOST})
MAX_STAGES = 12
MAX_REQUIREMENTS = 40
MAX_CONFIG_BYTES = 64 * 1024
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫"
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class ReqKind(StrEnum):
    FIELD = "field"  # a customer field is known
    ROLE = "role"  # a contact with this decision role
    EVIDENCE = "evidence"  # a confirmed file, screenshot or forwarded chat


class FieldName(StrEnum):
    BUDGET = "budget"
    TIMELINE = "timeline"


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    kind: ReqKind
    zh: str
    en: str
    field: FieldName | None = None
    role: DecisionRole | None = None
    keywords: tuple[str, ...] = ()
    declare: bool = False  # the rep may confirm it with one button, without a file
    hint_zh: str | None = None
    hint_en: str | None = None
    advice_zh: str | None = None
    advice_en: str | None = None

    def name(self, lang: Lang) -> str:
        return self.zh if lang is Lang.ZH else self.en

    def hint(self, lang: Lang) -> str | None:
        return self.hint_zh if lang is Lang.ZH else self.hint_en

    def advice(self, lang: Lang) -> str | None:
        return self.advice_zh if lang is Lang.ZH else self.advice_en


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    zh: str
    en: str
    requires: tuple[str, ...]
    number: int  # 1-based position in the funnel
    stall_days: int | None = None  # this stage's own stall threshold; the funnel's when None

    def name(self, lang: Lang) -> str:
        return self.zh if lang is Lang.ZH else self.en

    def label(self, lang: Lang) -> str:
        """ "② 需求锁定" / "② Requirements locked"."""
        mark = _CIRCLED[self.number - 1] if self.number <= len(_CIRCLED) else f"{self.number}."
        return f"{mark} {self.name(lang)}"


@dataclass(frozen=True, slots=True)
class Funnel:
    stages: tuple[Stage, ...]
    requirements: Mapping[str, Requirement]
    stall_days: int = 5
    digest_time: time = time(9, 0)
    workdays_only: bool = True
    source: str = ""  # the TOML text it was loaded from
    # Each stage's stall threshold, looked up for every open deal a digest ranks.
    _stall: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        thresholds = {s.key: s.stall_days or self.stall_days for s in self.stages}
        object.__setattr__(self, "_stall", thresholds)

    def stall_days_for(self, key: str) -> int:
        """Days a deal may stay in stage `key` before it counts as stalled: the stage's own
        `stall_days`, else the funnel's."""
        return self._stall.get(key, self.stall_days)

    def stage(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)

    def index(self, key: str) -> int:
        """The stage's 0-based position; won is after the last stage; unknown keys count as the first
        (a deal left in a stage a later configuration dropped still has a place)."""
        if key == WON:
            return len(self.stages)
        return next((i for i, s in enumerate(self.stages) if s.key == key), 0)

    @property
    def first(self) -> Stage:
        return self.stages[0]

    def after(self, key: str) -> str:
        """The key of the stage after `key`, or "won" after the last."""
        i = self.index(key)
        return self.stages[i + 1].key if i + 1 < len(self.stages) else WON

    def exit_requirements(self, key: str) -> tuple[Requirement, ...]:
        stage = self.stage(key) or self.first
        return tuple(self.requirements[r] for r in stage.requires)

    def needed(self, current: str, target: str) -> tuple[Requirement, ...]:
        """What a deal in `current` must have to reach `target`: the exit criteria of every stage from
        `current` up to the one before `target` (none when moving back)."""
        start, end = self.index(current), self.index(target)
        keys = [r for stage in self.stages[start:end] for r in stage.requires]
        return tuple(self.requirements[k] for k in dict.fromkeys(keys))

    def required_roles(self) -> tuple[DecisionRole, ...]:
        """The decision-chain roles the funnel asks for somewhere, in funnel order."""
        roles = [
            req.role
            for stage in self.stages
            for key in stage.requires
            if (req := self.requirements[key]).kind is ReqKind.ROLE and req.role is not None
        ]
        return tuple(dict.fromkeys(roles))

    def evidence_requirements(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements.values() if r.kind is ReqKind.EVIDENCE)

    def evidence_keys(self) -> tuple[str, ...]:
        """The keys evidence can be confirmed for (what a deal snapshot needs to know about)."""
        return tuple(r.key for r in self.evidence_requirements())

    def find_stage(self, text: str) -> str | None:
        """A stage key from what a member typed: its name in either language, its key, its number
        ("3", "③"), or a word for won. None when it names no stage."""
        said = _fold(text)
        if not said:
            return None
        if said in _WON_WORDS:
            return WON
        for stage in self.stages:
            names = {_fold(stage.zh), _fold(stage.en), stage.key, str(stage.number)}
            if stage.number <= len(_CIRCLED):
                names.add(_CIRCLED[stage.number - 1])
            if said in names:
                return stage.key
        return None


@dataclass(frozen=True, slots=True)
class StageRef:
    """A stage (or won, lost) named in an error's params; chat/ names it in the member's language."""

    funnel: Funnel
    key: str


_WON_WORDS = frozenset({"won", "win", "赢单", "成交", "签约", "赢", "签单", "closed won"})


def _fold(text: str) -> str:
    return " ".join(text.strip().strip("「」“”\"'").lower().split())


# --- loading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a stage configuration: a message key of chat.messages and its params."""

    key: str
    params: Mapping[str, Any]


class StageConfigError(InputRejected):
    """A stage configuration with problems; nothing of it was applied."""

    key = "stages.invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(self.key, count=len(problems))
        self.problems = tuple(problems)


_TOP_KEYS = {"stall_days", "digest", "stage", "requirement"}
_DIGEST_KEYS = {"time", "workdays_only"}
_STAGE_KEYS = {"key", "zh", "en", "requires", "stall_days"}
_REQ_KEYS = {
    "kind",
    "zh",
    "en",
    "field",
    "role",
    "keywords",
    "declare",
    "hint_zh",
    "hint_en",
    "advice_zh",
    "advice_en",
}


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: str, /, **params: Any) -> None:
        self.problems.append(Problem(f"stages.problem.{problem}", params))

    def unknown(self, where: str, table: Mapping[str, Any], allowed: Iterable[str]) -> None:
        for name in sorted(set(table) - set(allowed)):
            self.add("unknown_key", where=where, field=name)

    def text(self, where: str, table: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
        value = table.get(name)
        if value is None:
            if required:
                self.add("missing", where=where, field=name)
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            self.add("type", where=where, field=name, expected="text (1-200)")
            return None
        return value.strip()


def parse(source: str) -> Funnel:
    """A funnel from TOML text; raises StageConfigError listing every problem found."""
    problems = _Collector()
    if len(source.encode("utf-8")) > MAX_CONFIG_BYTES:
        problems.add("too_large", limit=MAX_CONFIG_BYTES // 1024)
        raise StageConfigError(problems.problems)
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        problems.add("syntax", detail=str(exc))
        raise StageConfigError(problems.problems) from exc
    funnel = _build(data, source, problems)
    if problems.problems or funnel is None:
        raise StageConfigError(problems.problems)
    return funnel


def parse_bytes(data: bytes) -> Funnel:
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StageConfigError([Problem("stages.problem.encoding", {})]) from exc
    return parse(source)


def _build(data: dict[str, Any], source: str, problems: _Collector) -> Funnel | None:
    problems.unknown("", data, _TOP_KEYS)
    stall_days = _stall_days(data.get("stall_days", 5), "", problems) or 5
    digest_time, workdays_only = _digest(data.get("digest", {}), problems)
    raw_requirements = data.get("requirement", {})
    requirements = _requirements(raw_requirements, problems)
    # A requirement defined with errors is reported once, not again by every stage that uses it.
    defined = set(raw_requirements) if isinstance(raw_requirements, dict) else set()
    stages = _stages(data.get("stage", []), requirements, defined, problems)
    if problems.problems or not stages:
        return None
    used = {key for stage in stages for key in stage.requires}
    return Funnel(
        stages=tuple(stages),
        requirements={k: v for k, v in requirements.items() if k in used},
        stall_days=stall_days,
        digest_time=digest_time,
        workdays_only=workdays_only,
        source=source,
    )


def _stall_days(value: Any, where: str, problems: _Collector) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 365:
        problems.add("range", where=where, field="stall_days", low=1, high=365)
        return None
    return value


def _digest(table: Any, problems: _Collector) -> tuple[time, bool]:
    if not isinstance(table, dict):
        problems.add("type", where="[digest]", field="digest", expected="a table")
        return time(9, 0), True
    problems.unknown("[digest]", table, _DIGEST_KEYS)
    at = time(9, 0)
    raw = table.get("time", "09:00")
    matched = _TIME.fullmatch(raw) if isinstance(raw, str) else None
    if matched is None:
        problems.add("bad_time", value=str(raw))
    else:
        at = time(int(matched[1]), int(matched[2]))
    workdays = table.get("workdays_only", True)
    if not isinstance(workdays, bool):
        problems.add("type", where="[digest]", field="workdays_only", expected="true / false")
        workdays = True
    return at, workdays


def _requirements(table: Any, problems: _Collector) -> dict[str, Requirement]:
    if not isinstance(table, dict):
        problems.add("type", where="", field="requirement", expected="tables [requirement.KEY]")
        return {}
    if len(table) > MAX_REQUIREMENTS:
        problems.add("too_many", what="requirement", limit=MAX_REQUIREMENTS)
    found: dict[str, Requirement] = {}
    for key, raw in table.items():
        where = f"[requirement.{key}]"
        if not _KEY.fullmatch(key):
            problems.add("key_format", where=where, key=key)
            continue
        if not isinstance(raw, dict):
            problems.add("type", where=where, field=key, expected="a table")
            continue
        requirement = _requirement(key, where, raw, problems)
        if requirement is not None:
            found[key] = requirement
    return found


def _requirement(key: str, where: str, raw: dict[str, Any], problems: _Collector) -> Requirement | None:
    before = len(problems.problems)
    problems.unknown(where, raw, _REQ_KEYS)
    zh, en = problems.text(where, raw, "zh"), problems.text(where, raw, "en")
    texts = {name: problems.text(where, raw, name, required=False) for name in _REQ_KEYS if "_" in name}
    kind_raw = raw.get("kind")
    kind: ReqKind | None = None
    if kind_raw is None:
        problems.add("missing", where=where, field="kind")
    elif kind_raw not in ReqKind.__members__.values():
        problems.add("bad_kind", where=where, value=str(kind_raw))
    else:
        kind = ReqKind(kind_raw)
    field: FieldName | None = None
    role: DecisionRole | None = None
    if kind is ReqKind.FIELD:
        if raw.get("field") not in FieldName.__members__.values():
            problems.add("bad_field", where=where, value=str(raw.get("field")))
        else:
            field = FieldName(raw["field"])
    elif raw.get("field") is not None:
        problems.add("not_for_kind", where=where, field="field", kind=str(kind_raw))
    if kind is ReqKind.ROLE:
        if raw.get("role") not in DecisionRole.__members__.values():
            problems.add(
                "bad_role",
                where=where,
                value=str(raw.get("role")),
                roles=", ".join(r.value for r in DecisionRole),
            )
        else:
            role = DecisionRole(raw["role"])
    elif raw.get("role") is not None:
        problems.add("not_for_kind", where=where, field="role", kind=str(kind_raw))
    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
        problems.add("type", where=where, field="keywords", expected="a list of words")
        keywords = []
    elif keywords and kind is not ReqKind.EVIDENCE:
        problems.add("not_for_kind", where=where, field="keywords", kind=str(kind_raw))
    declare = raw.get("declare", False)
    if not isinstance(declare, bool):
        problems.add("type", where=where, field="declare", expected="true / false")
        declare = False
    elif declare and kind is not ReqKind.EVIDENCE:
        problems.add("not_for_kind", where=where, field="declare", kind=str(kind_raw))
    if len(problems.problems) > before or kind is None or zh is None or en is None:
        return None
    return Requirement(
        key=key,
        kind=kind,
        zh=zh,
        en=en,
        field=field,
        role=role,
        keywords=tuple(dict.fromkeys(k.strip().lower() for k in keywords)),
        declare=declare,
        hint_zh=texts["hint_zh"],
        hint_en=texts["hint_en"],
        advice_zh=texts["advice_zh"],
        advice_en=texts["advice_en"],
    )


def _stages(
    raw: Any, requirements: Mapping[str, Requirement], defined: set[str], problems: _Collector
) -> list[Stage]:
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        problems.add("type", where="", field="stage", expected="[[stage]] tables")
        return []
    if not raw:
        problems.add("no_stages")
        return []
    if len(raw) > MAX_STAGES:
        problems.add("too_many", what="stage", limit=MAX_STAGES)
    stages: list[Stage] = []
    seen: set[str] = set()
    for number, table in enumerate(raw, 1):
        where = f"[[stage]] #{number}"
        problems.unknown(where, table, _STAGE_KEYS)
        key = problems.text(where, table, "key")
        zh, en = problems.text(where, table, "zh"), problems.text(where, table, "en")
        if key is not None:
            where = f"[[stage]] {key}"
            if not _KEY.fullmatch(key):
                problems.add("key_format", where=where, key=key)
            elif key in RESERVED:
                problems.add("reserved", key=key)
            elif key in seen:
                problems.add("duplicate_stage", key=key)
            seen.add(key)
            if number == 1 and key != FIRST_STAGE_KEY:
                problems.add("first", key=key, first=FIRST_STAGE_KEY)
        requires = table.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            problems.add("type", where=where, field="requires", expected="a list of requirement keys")
            requires = []
        for name in requires:
            if name not in requirements and name not in defined:
                problems.add("undefined_requirement", stage=key or f"#{number}", key=name)
        stall_days = _stall_days(table["stall_days"], where, problems) if "stall_days" in table else None
        if key is not None and zh is not None and en is not None:
            stages.append(Stage(key, zh, en, tuple(dict.fromkeys(requires)), number, stall_days))
    return stages


@lru_cache(maxsize=64)
def _cached(source: str) -> Funnel:
    return parse(source)


@lru_cache(maxsize=1)
def default_source() -> str:
    """The packaged default funnel; read once, it ships with the code."""
    return resources.files("crm").joinpath("funnel.toml").read_text(encoding="utf-8")


def default_funnel() -> Funnel:
    return _cached(default_source())


# Where a team's own funnel is kept in its settings. The name is older than the file's and stays: it is
# in every team's stored settings.
SETTINGS_KEY = "pipeline_toml"


def team_funnel(settings: Mapping[str, Any]) -> Funnel:
    """The funnel a team's settings hold (the TOML text it loaded), or the default. A stored text is
    one that passed validation; should it no longer parse (a stricter release), the default applies."""
    source = settings.get(SETTINGS_KEY)
    if isinstance(source, str) and source.strip():
        try:
            return _cached(source)
        except StageConfigError:
            return default_funnel()
    return default_funnel()
