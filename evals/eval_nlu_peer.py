"""Times, money, addresses, phones, e-mails and URLs against cases from other projects' test suites.

The cases (tests/data/eval/peer/cases.jsonl, sources and licences in the README there) are kept as
their authors wrote them; each is scored by whether our parser gives the same answer:

- time: the longest expression found; a span within one day matches when our instant falls inside
  it, a longer span when it starts and ends on the same days (a span that began in the past may
  start today), a weekday when the day is that weekday;
- money: every amount said, value, lower end of a range and currency (a case whose author named no
  currency, Duckling's plain 块/元/蚊, accepts any);
- address: province, city and county (and the administrative code where the case gives one);
- phone: the same numbers (as digits) found; e-mail/URL: the same addresses found.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from evals.common import ROOT, pct, table
from nlu import patterns, region
from nlu.money import find_amounts
from nlu.phones import find_phones
from nlu.timeexpr import find_times
from nlu.timemodel import TimeMention

CASES = ROOT / "tests" / "data" / "eval" / "peer" / "cases.jsonl"
ZONE = ZoneInfo("Asia/Shanghai")
CATEGORIES = ("time", "money", "address", "phone", "email_url")


def load(path: Path = CASES) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _moment(said: str) -> datetime:
    return datetime.fromisoformat(said).replace(tzinfo=ZONE)


def time_ok(case: dict[str, Any]) -> bool:
    now = _moment(case["ref"])
    found = find_times(case["text"], now)
    if not found:
        return False
    mention = max(found, key=lambda m: m.end - m.start)
    expect = case["expect"]
    if "weekday" in expect:
        return bool(mention.first.weekday() == expect["weekday"])
    return _span_ok(mention, _moment(expect["start"]), _moment(expect["last"]), now)


def _span_ok(mention: TimeMention, start: datetime, last: datetime, now: datetime) -> bool:
    whole_days = start.time() == datetime.min.time() and last.time() == datetime.max.time().replace(
        microsecond=0
    )
    if last - start < timedelta(days=1) and not whole_days:
        return start <= mention.moment() <= last
    first_ok = mention.first.date() == start.date() or (start < now and mention.first.date() == now.date())
    return first_ok and mention.last.date() == last.date()


def money_ok(case: dict[str, Any]) -> bool:
    found = find_amounts(case["text"])
    expected = case["expect"]["amounts"]
    if len(found) != len(expected):
        return False
    for want, got in zip(expected, found, strict=True):
        if Decimal(want["value"]) != got.value:
            return False
        low = want.get("low")
        if (Decimal(low) if low is not None else None) != got.low_value:
            return False
        if want["currency"] is not None and want["currency"] != got.currency:
            return False
    return True


def address_ok(case: dict[str, Any]) -> bool:
    expect = case["expect"]
    division = region.resolve(case["text"]).division
    if division is None:
        return False
    city = expect["city"]
    # cpca names the city level of a municipality 市辖区 ("the municipality's own districts").
    got_city = division.city if not (city == "市辖区" and division.city == division.province) else "市辖区"
    if (division.province, got_city, division.district) != (expect["province"], city, expect["county"]):
        return False
    return "code" not in expect or division.code == expect["code"]


def phone_ok(case: dict[str, Any]) -> bool:
    found = {re.sub(r"\D", "", p.raw) for p in find_phones(case["text"])}
    return found == {re.sub(r"\D", "", said) for said in case["expect"]["phones"]}


def email_url_ok(case: dict[str, Any]) -> bool:
    expect = case["expect"]
    if "emails" in expect:
        return bool(patterns.find_emails(case["text"]) == expect["emails"])
    websites = [w.rstrip("/") for w in patterns.find_websites(case["text"])]
    return bool(websites == [u.rstrip("/") for u in expect["urls"]])


SCORERS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "time": time_ok,
    "money": money_ok,
    "address": address_ok,
    "phone": phone_ok,
    "email_url": email_url_ok,
}


def score(cases: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool, float]]:
    results = []
    for case in cases:
        began = time.perf_counter()
        try:
            ok = SCORERS[case["category"]](case)
        except Exception:
            ok = False
        results.append((case, ok, time.perf_counter() - began))
    return results


def _rate(results: list[tuple[dict[str, Any], bool, float]]) -> str:
    if not results:
        return "–"
    passed = sum(ok for _, ok, _ in results)
    return f"{pct(passed / len(results))} ({passed}/{len(results)})"


def main() -> None:
    results = score(load())
    parts = {
        "tune": [r for r in results if r[0]["part"] == "tune"],
        "held": [r for r in results if r[0]["part"] == "held"],
    }
    print("## Peer NLU corpora (real test cases from JioNLP, cpca, Duckling, dateparser, Recognizers-Text)\n")
    print(
        "Cases written by other projects' authors, scored as they wrote them; `held` cases were never looked "
        "at while tuning. Sources, licences and dropped cases: tests/data/eval/peer/README.md.\n"
    )
    rows = [
        (category, _rate([r for r in parts["tune"] if r[0]["category"] == category]),
         _rate([r for r in parts["held"] if r[0]["category"] == category]),
         _rate([r for r in results if r[0]["category"] == category]))
        for category in CATEGORIES
    ]  # fmt: skip
    rows.append(("**overall**", _rate(parts["tune"]), _rate(parts["held"]), _rate(results)))
    print(table(("category", "tune", "held back", "all"), rows))
    by_source: dict[str, list[tuple[dict[str, Any], bool, float]]] = defaultdict(list)
    for item in results:
        by_source[item[0]["source"]].append(item)
    print()
    print(
        table(
            ("source", "all cases"), [(source, _rate(items)) for source, items in sorted(by_source.items())]
        )
    )
    times = [r for r in results if r[0]["category"] == "time"]
    print()
    print(
        table(
            ("time cases written in", "all cases"),
            [
                (variant, _rate([r for r in times if r[0]["variant"] == variant]))
                for variant in ("simplified", "traditional", "cantonese", "digits", "latin")
            ],
        )
    )
    print(f"\nmedian time per case: {statistics.median(r[2] for r in results) * 1000:.2f} ms\n")
    failed = [r[0] for r in parts["tune"] if not r[1]]
    if failed:
        print("<details><summary>failing tune cases</summary>\n")
        for case in failed:
            print(f"- {case['id']} `{case['text']}`")
        print("\n</details>")


if __name__ == "__main__":
    main()
