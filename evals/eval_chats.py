"""Forwarded chats -> lead fields, on the labelled chats in tests/data/eval/chats/ (written beside the
parser, so synthetic: a regression guard, not the claim).

Prints per-field precision and recall, the field accuracy overall, by language and by style, for the
tuning part and for the two parts never tuned on, apart. `python -m evals.eval_chats --misses` also lists
what went wrong on the tuning part; `--misses=all` on every part, to read the kinds of failure that
remain (the held-out parts are never tuned on, case by case).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import opencc

from crm.facts import Facts, Region
from evals.common import ROOT, Counts, median, normalise, pct, table
from nlu.extractor import Extractor
from nlu.normalize import Normalizer

CORPUS = ROOT / "tests" / "data" / "eval" / "chats"
PARTS = ("tune", "holdout", "fresh")
FIELDS = ("name", "company", "title", "phones", "emails", "wechat", "region", "budget", "meeting", "timeline")
DEFAULT_NOW = "2026-11-23T10:00:00+08:00"

_T2S = opencc.OpenCC("t2s")
_NORMALIZER = Normalizer()
_EN_HONORIFIC = re.compile(r"^(?:mr|mrs|ms|miss|dr)\.?\s+", re.IGNORECASE)
_PLACE_SUFFIX = re.compile(r"(?:特别行政区|自治区|回族|壮族|维吾尔|省|市|区|县)+$")


@dataclass(frozen=True)
class Case:
    id: str
    part: str
    lang: str
    style: str
    now: datetime
    text: str
    expect: dict[str, Any]


@dataclass
class Tally:
    """What one group of cases scored: per-field counts and labelled / right / spurious fields."""

    counts: dict[str, Counts] = field(default_factory=lambda: {f: Counts() for f in FIELDS})
    cases: int = 0
    labelled: int = 0
    right: int = 0
    spurious: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.labelled if self.labelled else 1.0

    @property
    def strict(self) -> float:
        """Right fields over labelled fields plus values found where the chat has none."""
        total = self.labelled + self.spurious
        return self.right / total if total else 1.0


def load(part: str) -> list[Case]:
    return [
        Case(
            raw["id"],
            part,
            raw["lang"],
            raw["style"],
            datetime.fromisoformat(raw.get("now", DEFAULT_NOW)),
            "\n".join(raw["chat"]),
            raw["expect"],
        )
        for path in sorted((CORPUS / part).glob("*.json"))
        for raw in json.loads(path.read_text(encoding="utf-8"))
    ]


def _text_key(value: str) -> str:
    return normalise(_T2S.convert(value))


def _company_key(value: str) -> str:
    """Companies as the CRM itself matches them (Normalizer.company_key): without the legal form and a
    leading province or city, so "石家庄以岭物流" is "以岭物流"."""
    return _NORMALIZER.company_key(_T2S.convert(value))


def _name_key(value: str) -> str:
    return _text_key(_EN_HONORIFIC.sub("", value.strip()))


def _place_key(value: str) -> str:
    return _PLACE_SUFFIX.sub("", _T2S.convert(value))


def _alternatives(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _compare_text(key: Callable[[str], str]) -> Callable[[Any, Any], tuple[str | None, str | None]]:
    def compare(truth: Any, found: Any) -> tuple[str | None, str | None]:
        found_key = key(found) if found else None
        if truth is None:
            return None, found_key
        keys = [key(t) for t in _alternatives(truth)]
        return (found_key if found_key in keys else keys[0]), found_key

    return compare


def _compare_set(truth: Any, found: Any) -> tuple[str | None, str | None]:
    found_key = " ".join(sorted(str(v).lower() for v in found)) if found else None
    truth_key = " ".join(sorted(str(v).lower() for v in truth)) if truth else None
    return truth_key, found_key


def _compare_region(truth: Any, found: Region | None) -> tuple[str | None, str | None]:
    levels = [found.province, found.city, found.district] if found else []
    found_key = "/".join(_place_key(level or "") for level in levels) if found else None
    if truth is None:
        return None, found_key
    wanted = [_place_key(level) for level in truth.split("/")]
    truth_key = "/".join(wanted)
    if found is not None:
        got = [_place_key(level or "") for level in levels]
        # A municipality is its own city (上海市/上海市); a label may give it once.
        if all(i < len(got) and got[i] == level for i, level in enumerate(wanted)):
            return found_key, found_key
    return truth_key, found_key


def _budget_key(currency: str, amount: Any) -> str:
    low, high = (amount[0], amount[1]) if isinstance(amount, list) else (None, amount)
    return f"{currency} {low or ''}-{high}"


def _compare_budget(truth: Any, found: tuple[str, int | None, int] | None) -> tuple[str | None, str | None]:
    found_key = _budget_key(found[0], [found[1], found[2]]) if found else None
    if truth is None:
        return None, found_key
    if isinstance(truth, dict):
        return _budget_key(truth["currency"], truth["amount"]), found_key
    return _budget_key("CNY", truth), found_key


def _compare_moment(truth: Any, found: datetime | date | None) -> tuple[str | None, str | None]:
    if truth is None:
        return None, found.isoformat()[:16] if found else None
    wanted = _alternatives(truth)
    if found is not None:
        for value in wanted:
            if found.isoformat()[: len(value)] == value:
                return value, value
    return wanted[0], found.isoformat()[:16] if found else None


def _found_budget(facts: Facts) -> tuple[str, int | None, int] | None:
    """The budget as (currency, low, high), in the currency it was said in."""
    budget = facts.budget
    if budget is None:
        return None
    low = int(budget.low) if budget.low is not None else None
    return budget.currency, low, int(budget.high)


def score(case: Case, facts: Facts) -> dict[str, tuple[str | None, str | None]]:
    """Per field: (truth key, found key); equal keys are a right field."""
    expect = case.expect
    unknown = set(expect) - set(FIELDS)
    if unknown:
        raise SystemExit(f"{case.id}: unknown fields {sorted(unknown)}")
    return {
        "name": _compare_text(_name_key)(expect.get("name"), facts.name),
        "company": _compare_text(_company_key)(expect.get("company"), facts.company),
        "title": _compare_text(_text_key)(expect.get("title"), facts.title),
        "phones": _compare_set(expect.get("phones"), facts.phones),
        "emails": _compare_set(expect.get("emails"), facts.emails),
        "wechat": _compare_text(str.lower)(expect.get("wechat"), facts.wechat_id),
        "region": _compare_region(expect.get("region"), facts.region),
        "budget": _compare_budget(expect.get("budget"), _found_budget(facts)),
        "meeting": _compare_moment(expect.get("meeting"), facts.next_meeting),
        "timeline": _compare_moment(expect.get("timeline"), facts.timeline_by),
    }


def _add(tally: Tally, scored: dict[str, tuple[str | None, str | None]]) -> None:
    tally.cases += 1
    for name, (truth, found) in scored.items():
        tally.counts[name].add(truth, found)
        if truth is not None:
            tally.labelled += 1
            tally.right += truth == found
        elif found is not None:
            tally.spurious += 1


def _field_table(tally: Tally) -> str:
    rows = []
    for name in FIELDS:
        c = tally.counts[name]
        rows.append((name, c.tp + c.fn, c.tp, pct(c.precision), pct(c.recall)))
    return table(("field", "labelled", "right", "precision", "recall"), rows)


def _group_table(title: str, groups: dict[str, Tally]) -> str:
    rows = [
        (key, t.cases, f"{t.right}/{t.labelled}", pct(t.accuracy), t.spurious, pct(t.strict))
        for key, t in sorted(groups.items())
    ]
    return table((title, "chats", "right/labelled", "field accuracy", "spurious", "strict"), rows)


def run(cases: Iterable[Case], extractor: Extractor) -> tuple[dict[str, Any], list[float]]:
    results: dict[str, Any] = {}
    seconds: list[float] = []
    for case in cases:
        started = time.perf_counter()
        facts = extractor.chat(case.text, case.now)
        seconds.append(time.perf_counter() - started)
        results[case.id] = (case, score(case, facts))
    return results, seconds


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    miss_parts = {"tune"} if "--misses" in args else set(PARTS) if "--misses=all" in args else set()
    extractor = Extractor()
    extractor.warm_up()
    print("## Chats -> lead fields (synthetic: chats written beside the parser)\n")
    print(
        "Field accuracy = labelled fields found right / labelled fields; spurious = a value found for a "
        "field the chat does not give; strict = right / (labelled + spurious). The `holdout` part was "
        "written with the first tuning batch and never used to tune; `fresh` was written later, in other "
        "writers' styles, and scored before any change made for it.\n"
    )
    summary = []
    all_seconds: list[float] = []
    for part in PARTS:
        cases = load(part)
        results, seconds = run(cases, extractor)
        all_seconds += seconds
        overall = Tally()
        by_lang: dict[str, Tally] = defaultdict(Tally)
        by_style: dict[str, Tally] = defaultdict(Tally)
        for case, scored in results.values():
            for tally in (overall, by_lang[case.lang], by_style[case.style]):
                _add(tally, scored)
        summary.append((part, overall))
        print(f"### {part} part: {overall.cases} chats\n")
        print(_field_table(overall) + "\n")
        print(_group_table("language", by_lang) + "\n")
        print(_group_table("style", by_style) + "\n")
        if part in miss_parts:
            for case, scored in results.values():
                for name, (truth, found) in scored.items():
                    if truth != found:
                        print(f"- {case.id} {name}: expected {truth!r}, found {found!r}")
            print()
    print("### Summary\n")
    rows = [
        (part, t.cases, f"{t.right}/{t.labelled}", pct(t.accuracy), t.spurious, pct(t.strict))
        for part, t in summary
    ]
    print(table(("part", "chats", "right/labelled", "field accuracy", "spurious", "strict"), rows))
    print(f"\nMedian time per chat: {1000 * median(all_seconds):.1f} ms.")


if __name__ == "__main__":
    main()
