"""Territories: the sales regions (大区), the rules that map places and regions to members or pools, the
pool's limits, working hours, unclaimed alerts and reclaim. The default lives in crm/territories.toml; a
team may load its own file of the same shape (stored in its settings, like the funnel).

Loading validates strictly and collects every problem with its line, so an admin fixes a file in one
round; a file with any error changes nothing. Place names are resolved through crm.ports.PlaceResolver
(jionlp's gazetteer); member names and ids are checked against the team (`check_members`): an unknown
member is an error, a deactivated one a warning (routing skips them).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm.errors import InputRejected
from crm.model import Lang, Member
from crm.places import Division, Level, Located
from crm.ports import PlaceResolver

MAX_CONFIG_BYTES = 256 * 1024
MAX_RULES = 2000
SETTINGS_KEY = "territories_toml"  # team.settings: the TOML text the team loaded
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")

MemberRef = int | str


Resolve = PlaceResolver


@dataclass(frozen=True, slots=True)
class SalesRegion:
    key: str
    zh: str
    en: str
    provinces: frozenset[str] = frozenset()
    overseas: bool = False

    def name(self, lang: Lang) -> str:
        return self.zh if lang is Lang.ZH else self.en


@dataclass(frozen=True, slots=True)
class Rule:
    """One [[territory]]: places or a sales region, to members or to a pool."""

    name: str
    places: tuple[Division, ...] = ()
    region: str | None = None  # a sales region key
    members: tuple[MemberRef, ...] = ()
    pool: str | None = None
    manager: MemberRef | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    members: tuple[MemberRef, ...] = ()  # who may see and claim its leads; empty: every rep
    manager: MemberRef | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    holding_cap: int = 200
    daily_quota: int = 20
    daily_claims: int = 10
    reclaim_cooldown_days: int = 7


@dataclass(frozen=True, slots=True)
class Hours:
    """Working hours in the team's timezone: on `days` (0 = Monday), from `start` to `end`."""

    days: frozenset[int]
    start: time
    end: time

    def open_at(self, moment: datetime, tz: ZoneInfo) -> bool:
        local = moment.astimezone(tz)
        return local.weekday() in self.days and self.start <= local.time() < self.end


@dataclass(frozen=True, slots=True)
class Alerts:
    manager_after: timedelta = timedelta(hours=2)
    admin_after: timedelta = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class Reclaim:
    days: Mapping[str, int] = field(
        default_factory=lambda: {
            "lead": 7,
            "requirements": 14,
            "solution": 14,
            "decision_chain": 30,
            "closing": 30,
        }
    )
    default_days: int = 14
    warn_days: int = 2
    extend_days: int = 7
    at: time = time(8, 0)
    routed_only: bool = False

    def days_for(self, stage: str) -> int:
        return self.days.get(stage, self.default_days)


@dataclass(frozen=True, slots=True)
class Territories:
    regions: tuple[SalesRegion, ...]
    rules: tuple[Rule, ...] = ()
    pools: tuple[Pool, ...] = ()
    default_pool: str = "公海"
    timezone: str = "Asia/Shanghai"
    limits: Limits = Limits()
    hours: Hours | None = None
    alerts: Alerts = Alerts()
    reclaim: Reclaim = Reclaim()
    source: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def region_of(self, located: Located) -> SalesRegion | None:
        """The sales region of a place: by its province, or the overseas region for a country abroad."""
        if located.country is not None:
            return next((r for r in self.regions if r.overseas), None)
        division = located.division
        if division is None:
            return None
        return next((r for r in self.regions if division.province in r.provinces), None)

    def region(self, key: str) -> SalesRegion | None:
        return next((r for r in self.regions if r.key == key), None)

    def pool(self, name: str) -> Pool | None:
        return next((p for p in self.pools if p.name == name), None)

    def pool_names(self) -> list[str]:
        return list(dict.fromkeys([self.default_pool, *(p.name for p in self.pools)]))

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def winning_rule(self, located: Located) -> tuple[Rule | None, Level | str | None]:
        """The most specific rule for a place: district > city > province > sales region. Returns the
        rule and what it matched by (a Level, or "region"); (None, None) when no rule takes it."""
        division = located.division
        if division is not None:
            for level in (Level.DISTRICT, Level.CITY, Level.PROVINCE):
                for rule in self.rules:
                    if any(p.level is level and p.contains(division) for p in rule.places):
                        return rule, level
        region = self.region_of(located)
        if region is not None:
            for rule in self.rules:
                if rule.region == region.key:
                    return rule, "region"
        return None, None

    def add_working_time(self, start: datetime, span: timedelta) -> datetime:
        """`start` plus `span` of working time (every hour counts without [hours])."""
        hours = self.hours
        if hours is None or not hours.days or hours.start >= hours.end:
            return start + span
        tz = self.tz
        left = span
        moment = start.astimezone(tz)
        for _ in range(400):  # more than a year of days: a span is hours, not months
            day = moment.date()
            opens = datetime.combine(day, hours.start, tzinfo=tz)
            closes = datetime.combine(day, hours.end, tzinfo=tz)
            if day.weekday() in hours.days and moment < closes:
                begin = max(moment, opens)
                available = closes - begin
                if left <= available:
                    return (begin + left).astimezone(start.tzinfo)
                left -= available
            moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        return start + span

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def day_start(self, moment: datetime) -> datetime:
        """Midnight of the team's day that `moment` falls in."""
        return datetime.combine(self.local_day(moment), time(0), tzinfo=self.tz)


# --- problems -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a territory file: a message key of chat.messages, its params and the line
    (0: the file as a whole). Warnings do not stop a load."""

    key: str
    params: Mapping[str, Any]
    line: int = 0
    warning: bool = False


class TerritoryConfigError(InputRejected):
    """A territory file with errors; nothing of it was applied."""

    key = "territories.invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(self.key, count=len([p for p in problems if not p.warning]))
        self.problems = tuple(problems)


class _Lines:
    """Line numbers for TOML tables and values (tomllib tells none): the n-th [[kind]] header, and the
    first line of that table mentioning a value."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self._headers: dict[str, list[int]] = {}
        for number, line in enumerate(self.lines, 1):
            matched = re.match(r"\s*\[\[\s*([A-Za-z_]+)\s*\]\]", line)
            if matched:
                self._headers.setdefault(matched[1], []).append(number)
            elif re.match(r"\s*\[", line):
                self._headers.setdefault("_table", []).append(number)

    def table(self, kind: str, index: int) -> int:
        found = self._headers.get(kind, [])
        return found[index] if index < len(found) else 0

    def find(self, kind: str, index: int, needle: str) -> int:
        start = self.table(kind, index)
        if not start:
            return 0
        following = [n for ns in self._headers.values() for n in ns if n > start]
        end = min(following, default=len(self.lines) + 1)
        for number in range(start, end):
            if needle in self.lines[number - 1]:
                return number
        return start

    def key(self, name: str) -> int:
        for number, line in enumerate(self.lines, 1):
            if re.match(rf"\s*{re.escape(name)}\s*=", line):
                return number
        return 0


class _Collector:
    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, problem: str, /, line: int = 0, **params: Any) -> None:
        self.problems.append(Problem(f"territories.problem.{problem}", params, line))

    def warn(self, problem: str, /, line: int = 0, **params: Any) -> None:
        self.problems.append(Problem(f"territories.problem.{problem}", params, line, warning=True))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]


_TOP = {"timezone", "default_pool", "limits", "hours", "alerts", "reclaim", "region", "territory", "pool"}
_LIMITS = {"holding_cap": (1, 100_000), "daily_quota": (1, 10_000), "daily_claims": (1, 10_000)}
_REGION_KEYS = {"key", "zh", "en", "provinces", "overseas"}
_RULE_KEYS = {"name", "place", "places", "region", "members", "pool", "manager"}
_POOL_KEYS = {"name", "members", "manager"}


def parse(source: str, resolve: Resolve) -> Territories:
    """Territories from TOML text; raises TerritoryConfigError listing every error (with lines)."""
    lines = _Lines(source)
    problems = _Collector(lines)
    if len(source.encode("utf-8")) > MAX_CONFIG_BYTES:
        problems.add("too_large", limit=MAX_CONFIG_BYTES // 1024)
        raise TerritoryConfigError(problems.problems)
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        problems.add("syntax", detail=str(exc))
        raise TerritoryConfigError(problems.problems) from exc
    territories = _build(data, source, resolve, problems)
    if problems.errors or territories is None:
        raise TerritoryConfigError(problems.problems)
    return territories


def parse_bytes(data: bytes, resolve: Resolve) -> Territories:
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TerritoryConfigError([Problem("territories.problem.encoding", {})]) from exc
    return parse(source, resolve)


def _build(data: dict[str, Any], source: str, resolve: Resolve, problems: _Collector) -> Territories | None:
    lines = problems.lines
    for name in sorted(set(data) - _TOP):
        problems.add("unknown_key", lines.key(name), where="", field=name)
    timezone = data.get("timezone", "Asia/Shanghai")
    try:
        if not isinstance(timezone, str):
            raise ValueError(timezone)
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("timezone", lines.key("timezone"), value=str(timezone))
        timezone = "Asia/Shanghai"
    default_pool = _text(
        data.get("default_pool", "公海"), "default_pool", lines.key("default_pool"), problems
    )
    limits = _limits(data.get("limits", {}), problems)
    hours = _hours(data.get("hours"), problems)
    alerts = _alerts(data.get("alerts", {}), problems)
    reclaim = _reclaim(data.get("reclaim", {}), problems)
    regions = _regions(data.get("region"), resolve, problems)
    pools = _pools(data.get("pool", []), problems)
    rules = _rules(data.get("territory", []), regions, resolve, problems)
    pool_names = {default_pool or "公海", *(p.name for p in pools)}
    for index, rule in enumerate(rules):
        if rule.pool is not None and rule.pool not in pool_names:
            # A pool named only by a rule is a pool all the same, open to every rep.
            pools = (*pools, Pool(rule.pool, line=lines.table("territory", index)))
            pool_names.add(rule.pool)
    if problems.errors:
        return None
    return Territories(
        regions=regions,
        rules=rules,
        pools=pools,
        default_pool=default_pool or "公海",
        timezone=timezone,
        limits=limits,
        hours=hours,
        alerts=alerts,
        reclaim=reclaim,
        source=source,
    )


def _text(value: Any, name: str, line: int, problems: _Collector, *, limit: int = 60) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        problems.add("type", line, field=name, expected=f"text (1-{limit})")
        return None
    return value.strip()


def _int(value: Any, name: str, low: int, high: int, line: int, problems: _Collector) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.add("range", line, field=name, low=low, high=high)
        return None
    return value


def _table(value: Any, name: str, allowed: set[str], problems: _Collector) -> dict[str, Any]:
    if not isinstance(value, dict):
        problems.add("type", problems.lines.key(name), field=name, expected="a table")
        return {}
    for key in sorted(set(value) - allowed):
        problems.add("unknown_key", problems.lines.key(key), where=f"[{name}]", field=key)
    return value


def _limits(value: Any, problems: _Collector) -> Limits:
    table = _table(value, "limits", {*_LIMITS, "reclaim_cooldown_days"}, problems)
    found: dict[str, int] = {}
    for name, (low, high) in {**_LIMITS, "reclaim_cooldown_days": (0, 365)}.items():
        if name in table:
            number = _int(table[name], name, low, high, problems.lines.key(name), problems)
            if number is not None:
                found[name] = number
    return Limits(**found)


def _clock(value: Any, name: str, problems: _Collector) -> time | None:
    matched = _TIME.fullmatch(value) if isinstance(value, str) else None
    if matched is None:
        problems.add("bad_time", problems.lines.key(name), field=name, value=str(value))
        return None
    return time(int(matched[1]), int(matched[2]))


def _hours(value: Any, problems: _Collector) -> Hours | None:
    if value is None:
        return None
    table = _table(value, "hours", {"days", "start", "end"}, problems)
    raw_days = table.get("days", list(WEEKDAYS[:5]))
    days: set[int] = set()
    if not isinstance(raw_days, list) or not raw_days:
        problems.add("type", problems.lines.key("days"), field="days", expected='["mon", "tue", …]')
    else:
        for day in raw_days:
            if isinstance(day, str) and day.lower()[:3] in WEEKDAYS:
                days.add(WEEKDAYS.index(day.lower()[:3]))
            else:
                problems.add("bad_day", problems.lines.key("days"), value=str(day))
    start = _clock(table.get("start", "09:00"), "start", problems)
    end = _clock(table.get("end", "18:00"), "end", problems)
    if start is None or end is None:
        return None
    if start >= end:
        problems.add("hours_order", problems.lines.key("end"), start=str(start)[:5], end=str(end)[:5])
        return None
    return Hours(frozenset(days), start, end)


def _alerts(value: Any, problems: _Collector) -> Alerts:
    table = _table(value, "alerts", {"manager_after_hours", "admin_after_hours"}, problems)
    spans: dict[str, timedelta] = {}
    for name, target in (("manager_after_hours", "manager_after"), ("admin_after_hours", "admin_after")):
        if name not in table:
            continue
        raw = table[name]
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= 24 * 30:
            problems.add("range", problems.lines.key(name), field=name, low=0, high=24 * 30)
            continue
        spans[target] = timedelta(hours=float(raw))
    alerts = Alerts(**spans)
    if alerts.admin_after < alerts.manager_after:
        problems.add("alerts_order", problems.lines.key("admin_after_hours"))
    return alerts


def _reclaim(value: Any, problems: _Collector) -> Reclaim:
    lines = problems.lines
    table = _table(
        value, "reclaim", {"time", "warn_days", "extend_days", "default_days", "scope", "days"}, problems
    )
    found: dict[str, Any] = {}
    for name in ("warn_days", "extend_days", "default_days"):
        if name in table:
            number = _int(
                table[name], name, 1 if name == "default_days" else 0, 365, lines.key(name), problems
            )
            if number is not None:
                found[name] = number
    if "time" in table:
        at = _clock(table["time"], "time", problems)
        if at is not None:
            found["at"] = at
    scope = table.get("scope", "all")
    if scope not in ("all", "routed"):
        problems.add("bad_scope", lines.key("scope"), value=str(scope))
    found["routed_only"] = scope == "routed"
    if "days" in table:
        days = table["days"]
        if not isinstance(days, dict):
            problems.add("type", lines.key("days"), field="days", expected="[reclaim.days]")
        else:
            stage_days: dict[str, int] = {}
            for stage, raw in days.items():
                if not _KEY.fullmatch(stage):
                    problems.add("key_format", lines.key(stage), key=stage)
                    continue
                number = _int(raw, stage, 1, 365, lines.key(stage), problems)
                if number is not None:
                    stage_days[stage] = number
            found["days"] = stage_days
    return Reclaim(**found)


def _list(value: Any, kind: str, problems: _Collector) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.add("type", 0, field=kind, expected=f"[[{kind}]] tables")
        return []
    return value


_LEVEL_SUFFIX = re.compile(
    r"(特别行政区|[^族]*族自治[区州县]|自治[区州县旗]|地区|新区|林区|省|市|区|县|盟|旗)$"
)


def _names_a_division(text: str, division: Division) -> bool:
    """Whether a territory's place names the province, city or district it resolved to ("浦东",
    "广州天河区"), not only a town inside one (火星街道 is in Changsha: "火星" is no territory)."""
    for name in (division.province, division.city, division.district):
        if not name:
            continue
        short = _LEVEL_SUFFIX.sub("", name) or name
        if short in text or (len(text) >= 2 and short.startswith(text)):
            return True
    return False


def _place(text: str, resolve: Resolve) -> tuple[Division | None, tuple[Division, ...]]:
    located = resolve.resolve(text)
    if located.division is not None and not located.ambiguous:
        if not _names_a_division(text, located.division):
            return None, ()
        return located.division, ()
    return None, tuple(c for c in located.candidates if _names_a_division(text, c))


def _regions(value: Any, resolve: Resolve, problems: _Collector) -> tuple[SalesRegion, ...]:
    if value is None:
        return default_territories(resolve).regions
    lines = problems.lines
    regions: list[SalesRegion] = []
    seen: set[str] = set()
    owner: dict[str, str] = {}
    for index, table in enumerate(_list(value, "region", problems)):
        line = lines.table("region", index)
        for name in sorted(set(table) - _REGION_KEYS):
            problems.add("unknown_key", lines.find("region", index, name), where="[[region]]", field=name)
        key = table.get("key")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            problems.add("key_format", line, key=str(key))
            continue
        if key in seen:
            problems.add("duplicate", line, what="region", name=key)
        seen.add(key)
        zh = _text(table.get("zh"), "zh", lines.find("region", index, "zh"), problems)
        en = _text(table.get("en"), "en", lines.find("region", index, "en"), problems)
        overseas = table.get("overseas", False)
        if not isinstance(overseas, bool):
            problems.add(
                "type", lines.find("region", index, "overseas"), field="overseas", expected="true / false"
            )
            overseas = False
        provinces: set[str] = set()
        raw = table.get("provinces", [])
        if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
            problems.add(
                "type", lines.find("region", index, "provinces"), field="provinces", expected="a list"
            )
            raw = []
        for name in raw:
            division, _ = _place(name, resolve)
            at = lines.find("region", index, name)
            if division is None or division.level is Level.DISTRICT:
                problems.add("unknown_place", at, value=name)
                continue
            if division.province in owner and owner[division.province] != key:
                problems.add("province_twice", at, value=name, region=owner[division.province])
            owner[division.province] = key
            provinces.add(division.province)
        if zh and en:
            regions.append(SalesRegion(key, zh, en, frozenset(provinces), overseas))
    return tuple(regions)


def _refs(value: Any, name: str, line: int, problems: _Collector) -> tuple[MemberRef, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    refs: list[MemberRef] = []
    for item in items:
        if (
            isinstance(item, bool)
            or not isinstance(item, int | str)
            or (isinstance(item, str) and not item.strip())
        ):
            problems.add("type", line, field=name, expected="member ids or names")
            continue
        refs.append(item.strip() if isinstance(item, str) else item)
    return tuple(dict.fromkeys(refs))


def _pools(value: Any, problems: _Collector) -> tuple[Pool, ...]:
    lines = problems.lines
    pools: list[Pool] = []
    for index, table in enumerate(_list(value, "pool", problems)):
        line = lines.table("pool", index)
        for key in sorted(set(table) - _POOL_KEYS):
            problems.add("unknown_key", lines.find("pool", index, key), where="[[pool]]", field=key)
        name = _text(table.get("name"), "name", line, problems)
        members = _refs(table.get("members"), "members", lines.find("pool", index, "members"), problems)
        manager = _refs(table.get("manager"), "manager", lines.find("pool", index, "manager"), problems)
        if name is not None:
            if any(p.name == name for p in pools):
                problems.add("duplicate", line, what="pool", name=name)
            pools.append(Pool(name, members, manager[0] if manager else None, line))
    return tuple(pools)


def _rules(
    value: Any, regions: Sequence[SalesRegion], resolve: Resolve, problems: _Collector
) -> tuple[Rule, ...]:
    lines = problems.lines
    raw_rules = _list(value, "territory", problems)
    if len(raw_rules) > MAX_RULES:
        problems.add("too_many", 0, what="territory", limit=MAX_RULES)
        return ()
    rules: list[Rule] = []
    claimed: dict[tuple[str, str | None, str | None], str] = {}
    for index, table in enumerate(raw_rules):
        line = lines.table("territory", index)
        for key in sorted(set(table) - _RULE_KEYS):
            problems.add("unknown_key", lines.find("territory", index, key), where="[[territory]]", field=key)
        name = table.get("name")
        if name is None:
            name = f"#{index + 1}"
        name = _text(name, "name", line, problems)
        said: list[str] = []
        for key in ("place", "places"):
            raw = table.get(key)
            if raw is None:
                continue
            items = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(item, str) and item.strip() for item in items):
                problems.add("type", lines.find("territory", index, key), field=key, expected="place names")
                continue
            said += [item.strip() for item in items]
        places: list[Division] = []
        for text in said:
            at = lines.find("territory", index, text)
            division, candidates = _place(text, resolve)
            if division is None:
                if candidates:
                    options = "、".join(c.label() for c in candidates[:5])
                    problems.add("ambiguous_place", at, value=text, options=options)
                else:
                    problems.add("unknown_place", at, value=text)
                continue
            mark = (division.province, division.city, division.district)
            if mark in claimed:
                problems.add("place_twice", at, value=text, rule=claimed[mark])
            claimed[mark] = name or ""
            places.append(division)
        region_key: str | None = None
        raw_region = table.get("region")
        if raw_region is not None:
            found = next(
                (
                    r
                    for r in regions
                    if isinstance(raw_region, str) and raw_region.strip() in (r.key, r.zh, r.en)
                ),
                None,
            )
            if found is None:
                problems.add(
                    "unknown_region", lines.find("territory", index, "region"), value=str(raw_region)
                )
            else:
                region_key = found.key
                mark = ("region", found.key, None)
                if mark in claimed:
                    problems.add(
                        "place_twice",
                        lines.find("territory", index, "region"),
                        value=found.zh,
                        rule=claimed[mark],
                    )
                claimed[mark] = name or ""
        if not said and raw_region is None:
            problems.add("no_place", line, rule=name or f"#{index + 1}")
        members = _refs(table.get("members"), "members", lines.find("territory", index, "members"), problems)
        manager = _refs(table.get("manager"), "manager", lines.find("territory", index, "manager"), problems)
        pool = table.get("pool")
        if pool is not None:
            pool = _text(pool, "pool", lines.find("territory", index, "pool"), problems)
        if not members and pool is None:
            problems.add("no_target", line, rule=name or f"#{index + 1}")
        if name is not None:
            if any(r.name == name for r in rules):
                problems.add("duplicate", line, what="territory", name=name)
            rules.append(
                Rule(name, tuple(places), region_key, members, pool, manager[0] if manager else None, line)
            )
    return tuple(rules)


# --- members named by a file ----------------------------------------------------------------------


def find_member(ref: MemberRef, members: Sequence[Member]) -> list[Member]:
    """The members a reference names: the one with that id, or those with that name."""
    if isinstance(ref, int):
        return [m for m in members if m.id == ref]
    return [m for m in members if m.name == ref]


def check_members(territories: Territories, members: Sequence[Member]) -> list[Problem]:
    """Members a file names that are not (unique, active) members of the team. `members` are all of
    them, deactivated ones included."""
    problems: list[Problem] = []
    lines = _Lines(territories.source)

    def check(ref: MemberRef, kind: str, index: int, where: str) -> None:
        found = find_member(ref, members)
        line = lines.find(kind, index, str(ref)) if index >= 0 else 0
        if not found:
            problems.append(
                Problem("territories.problem.unknown_member", {"member": ref, "where": where}, line)
            )
        elif len(found) > 1:
            ids = ", ".join(str(m.id) for m in found)
            problems.append(
                Problem(
                    "territories.problem.ambiguous_member", {"member": ref, "ids": ids, "where": where}, line
                )
            )
        elif not found[0].active:
            problems.append(
                Problem(
                    "territories.problem.inactive_member",
                    {"member": ref, "where": where},
                    line,
                    warning=True,
                )
            )

    for index, rule in enumerate(territories.rules):
        for ref in rule.members:
            check(ref, "territory", index, rule.name)
        if rule.manager is not None:
            check(rule.manager, "territory", index, rule.name)
    for index, pool in enumerate(territories.pools):
        if pool.line == 0 or not lines.table("pool", index):
            continue
        for ref in pool.members:
            check(ref, "pool", index, pool.name)
        if pool.manager is not None:
            check(pool.manager, "pool", index, pool.name)
    return problems


# --- the default and a team's ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def default_source() -> str:
    """The packaged default; read once, it ships with the code."""
    return resources.files("crm").joinpath("territories.toml").read_text(encoding="utf-8")


_CACHE: dict[tuple[str, int], Territories] = {}


def default_territories(resolve: Resolve) -> Territories:
    try:
        return cached(default_source(), resolve)
    except TerritoryConfigError:
        # A resolver that knows no place (crm.places.NoPlaces) cannot read the provinces of the sales
        # regions: no regions then, and every lead waits in the default pool.
        return Territories(regions=(), source=default_source())


def cached(source: str, resolve: Resolve) -> Territories:
    """A parsed file, kept by its text (and resolver): routing reads the team's on every lead."""
    key = (source, id(resolve))
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        found = _CACHE[key] = parse(source, resolve)
    return found


def team_territories(settings: Mapping[str, Any], resolve: Resolve) -> Territories:
    """The territories a team's settings hold, or the default. A stored text is one that passed
    validation; should it no longer parse (a stricter release), the default applies."""
    source = settings.get(SETTINGS_KEY)
    if isinstance(source, str) and source.strip():
        try:
            return cached(source, resolve)
        except TerritoryConfigError:
            return default_territories(resolve)
    return default_territories(resolve)
