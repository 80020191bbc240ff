"""Business cards: field precision/recall and time per card of CardOcr + parse_card on generated cards.

`python -m bench cards` runs 60 clean and 60 perturbed cards (CARDS_CLEAN / CARDS_PERTURBED override);
`python -m bench.bench_cards 10 10` a quick run. Cards come from tests/support/cardgen.py (seeded).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from crm.facts import CardFacts
from nlu.card import parse_card
from ocr import CardOcr, ImageError
from tests.support.cardgen import LANGUAGES, LAYOUTS, Card, CardTruth, generate_card, perturbed_card

FIELDS = (
    "name",
    "title",
    "company",
    "mobile",
    "phones",
    "fax",
    "emails",
    "website",
    "address",
    "wechat_id",
    "qq",
)


def _text(value: str) -> str:
    """Whitespace-free, case-folded NFKC: "Co., Ltd." == "Co.,Ltd.", "张 伟" == "张伟"."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold().strip(",.;:")


def _site(value: str) -> str:
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", value.strip().lower()).rstrip("/")


_NORMALISE: dict[str, Callable[[str], str]] = {"website": _site}


def _value(source: CardFacts | CardTruth, name: str) -> str | None:
    value = getattr(source, name)
    if isinstance(value, tuple):
        return "|".join(sorted(_text(v) for v in value)) if value else None
    if not value:
        return None
    return _NORMALISE.get(name, _text)(str(value))


def _accepted(truth: CardTruth, name: str) -> set[str]:
    main = _value(truth, name)
    others = {_NORMALISE.get(name, _text)(alt) for alt in truth.alternatives.get(name, ()) if alt}
    return ({main} if main else set()) | others


@dataclass
class Tally:
    predicted: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    judged: int = 0  # fields printed or predicted
    right: int = 0
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rejected: int = 0
    misses: Counter[str] = field(default_factory=Counter)

    def add(self, truth: CardTruth, facts: CardFacts, label: str) -> None:
        for name in FIELDS:
            got = _value(facts, name)
            accepted = _accepted(truth, name)
            if got is not None:
                self.predicted[name] += 1
            if accepted:
                self.expected[name] += 1
            if got is None and not accepted:
                continue
            self.judged += 1
            if got is not None and got in accepted:
                self.correct[name] += 1
                self.right += 1
            else:
                self.misses[f"{name} ({label})"] += 1

    def accuracy(self) -> float:
        return self.right / self.judged if self.judged else 0.0


def _cards(count: int, *, perturbed: bool) -> list[Card]:
    cards = []
    for index in range(count):
        language = LANGUAGES[index % len(LANGUAGES)]
        layout = LAYOUTS[(index // len(LANGUAGES)) % len(LAYOUTS)]
        seed = 10_000 + index if perturbed else index
        make = perturbed_card if perturbed else generate_card
        cards.append(make(seed, language=language, layout=layout))
    return cards


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _run(reader: CardOcr, cards: list[Card], tally: Tally, *, verbose: bool) -> None:
    for card in cards:
        photos = card.encoded("JPEG", 90)
        started, cpu = time.perf_counter(), _cpu()
        try:
            facts = parse_card([reader.read(photo) for photo in photos])
        except ImageError as error:
            tally.rejected += 1
            facts = CardFacts()
            if verbose:
                print(f"  seed {card.seed}: rejected ({error.reason})")
        tally.seconds.append(time.perf_counter() - started)
        tally.cpu.append(_cpu() - cpu)
        label = f"{card.language}/{card.layout}" + (
            f" {'+'.join(card.perturbations)}" if card.perturbations else ""
        )
        before = sum(tally.misses.values())
        tally.add(card.truth, facts, label)
        if verbose and sum(tally.misses.values()) > before:
            wrong = [
                f"{name}={_value(facts, name)!r} want {sorted(_accepted(card.truth, name))}"
                for name in FIELDS
                if _value(facts, name) not in (_accepted(card.truth, name) or {None})
            ]
            print(f"  seed {card.seed} {label}: " + "; ".join(wrong))


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}" if whole else "    -"


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] if ordered else 0.0


def main() -> None:
    args = [a for a in sys.argv[1:] if a.isdigit()] if __name__ == "__main__" else []
    clean_count = int(args[0]) if args else int(os.environ.get("CARDS_CLEAN", "60"))
    perturbed_count = int(args[1]) if len(args) > 1 else int(os.environ.get("CARDS_PERTURBED", "60"))
    verbose = bool(os.environ.get("CARDS_VERBOSE"))
    reader = CardOcr()
    # Warm-up outside the timing: tesseract's page cache, jionlp's gazetteer (loaded on first region lookup).
    parse_card([reader.read(generate_card(99_999).encoded("JPEG")[0])])
    tallies = {"clean": Tally(), "perturbed": Tally()}
    for kind, count in (("clean", clean_count), ("perturbed", perturbed_count)):
        if count:
            print(f"{kind}: {count} cards", flush=True)
            _run(reader, _cards(count, perturbed=kind == "perturbed"), tallies[kind], verbose=verbose)
    clean, bad = tallies["clean"], tallies["perturbed"]
    print(
        f"\n{'field':<10} {'clean P':>8} {'clean R':>8} {'pert. P':>8} {'pert. R':>8}   printed clean/pert."
    )
    for name in FIELDS:
        print(
            f"{name:<10} {_percent(clean.correct[name], clean.predicted[name]):>8} "
            f"{_percent(clean.correct[name], clean.expected[name]):>8} "
            f"{_percent(bad.correct[name], bad.predicted[name]):>8} "
            f"{_percent(bad.correct[name], bad.expected[name]):>8}   "
            f"{clean.expected[name]}/{bad.expected[name]}"
        )
    for kind, tally in tallies.items():
        if not tally.seconds:
            continue
        print(
            f"\n{kind}: field accuracy {100 * tally.accuracy():.1f}% ({tally.right}/{tally.judged}), "
            f"rejected {tally.rejected}, per card median {statistics.median(tally.seconds):.2f} s, "
            f"p90 {_p90(tally.seconds):.2f} s (CPU median {statistics.median(tally.cpu):.2f} s)"
        )
    if verbose:
        for kind, tally in tallies.items():
            print(
                f"\n{kind} misses by field: {dict(Counter(m.split(' ')[0] for m in tally.misses.elements()))}"
            )
    print(
        f"\nmachine: {os.cpu_count()} cores, tesseract OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')}"
    )


if __name__ == "__main__":
    main()
