"""Business cards: field precision and recall of the card reader + parser, on REAL cards (the development
set) and on SYNTHETIC renders (tests/support/cardgen.py), always apart; then our reader side by side
with PP-OCR alone and plain tesseract on the same inputs.

`python -m evals cards`. CARDS_SYNTHETIC sets the renders per group (clean, photographed badly,
designer styles; default 24 each), CARDS_VERBOSE=1 prints every miss, CHATCRM_OCR_ENGINE the reader.

Scoring, as the development set's README asks: the labels keep the card's formatting and the scorer
normalises it. Text fields compare NFKC, case-folded, without spaces or punctuation, with CJK script
variants folded (営/營/营: the recognizer writes some Japanese and traditional forms in simplified);
phones compare as digits, allowing a "(0)" trunk, a national trunk 0 and a country code on either side;
e-mail case-folded; web addresses without scheme, "www." and trailing slash.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import opencc
import phonenumbers

from crm.facts import CardFacts
from evals.common import devset, median, normalise, pct, table
from nlu.card import parse_card
from ocr import ImageError, card_ocr

FIELDS = ("name", "title", "company", "mobile", "phone", "fax", "email", "address", "website", "wechat", "qq")
_PHONES = {"mobile", "phone", "fax"}


# --- normalising and matching ---------------------------------------------------------------------------


@cache
def _fold_converters() -> tuple[opencc.OpenCC, opencc.OpenCC]:
    return opencc.OpenCC("jp2t"), opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """NFKC, case, spaces and punctuation gone, Japanese and traditional forms in simplified."""
    japanese, traditional = _fold_converters()
    return normalise(str(traditional.convert(str(japanese.convert(unicodedata.normalize("NFKC", text))))))


def _digits(value: str) -> str:
    value = value.replace("(0)", "")
    digits = re.sub(r"\D", "", value.split(";ext=")[0])
    return digits[1:] if digits.startswith("0") and not digits.startswith("00") else digits


def same_phone(truth: str, found: str) -> bool:
    """Digits equal, or the longer one is the shorter with a country code (1-3 digits) before it."""
    first, second = sorted((_digits(truth), _digits(found)), key=len)
    if not first or len(first) < 6:
        return False
    return first == second or (second.endswith(first) and len(second) - len(first) <= 3)


def _site(value: str) -> str:
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", value.strip().casefold()).rstrip("/")


def same(name: str, truth: str, found: str) -> bool:
    if name in _PHONES:
        return same_phone(truth, found)
    if name == "email":
        return truth.strip().casefold() == found.strip().casefold()
    if name == "website":
        return _site(truth) == _site(found)
    return bool(fold(truth)) and fold(truth) == fold(found)


def predicted(facts: CardFacts, name: str) -> list[str]:
    values: dict[str, Sequence[str | None]] = {
        "name": [facts.name],
        "title": [facts.title],
        "company": [facts.company],
        "mobile": [facts.mobile],
        "phone": list(facts.phones),
        "fax": [facts.fax],
        "email": list(facts.emails),
        "address": [facts.address],
        "website": [facts.website],
        "wechat": [facts.wechat_id],
        "qq": [facts.qq],
    }
    return [v for v in values[name] if v]


@dataclass
class Tally:
    """Per field: truth values matched (tp), predictions matching no truth (fp), truth values missed (fn)."""

    tp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    fp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    fn: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    cards: int = 0
    refused: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, label: str, truth: dict[str, list[list[str]]], facts: CardFacts) -> None:
        """`truth[name]` is a list of items, each item the values accepted for it (main, alternatives)."""
        self.cards += 1
        for name in FIELDS:
            found = predicted(facts, name)
            used: set[int] = set()
            for accepted in truth.get(name, []):
                hit = next(
                    (
                        i
                        for i, f in enumerate(found)
                        if i not in used and any(same(name, a, f) for a in accepted)
                    ),
                    None,
                )
                if hit is None:
                    self.fn[name] += 1
                    self.misses.append(f"{label}: {name} want {accepted[0]!r}, got {found or None}")
                else:
                    used.add(hit)
                    self.tp[name] += 1
            extra = [f for i, f in enumerate(found) if i not in used]
            self.fp[name] += len(extra)
            if extra and not truth.get(name):
                self.misses.append(f"{label}: {name} not on the card, got {extra}")

    def accuracy(self) -> tuple[int, int]:
        right = sum(self.tp.values())
        return right, right + sum(self.fn.values())

    def rows(self) -> list[list[object]]:
        rows: list[list[object]] = []
        for name in FIELDS:
            tp, fp, fn = self.tp[name], self.fp[name], self.fn[name]
            if not tp + fp + fn:
                continue
            precision = pct(tp / (tp + fp)) if tp + fp else "-"
            recall = pct(tp / (tp + fn)) if tp + fn else "-"
            rows.append([name, tp + fn, precision, recall])
        return rows


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class Reader:
    """Our reader (the configured engine) + parse_card, timed per card."""

    def __init__(self) -> None:
        engine = os.environ.get("CHATCRM_OCR_ENGINE", "rapidocr")
        self.engine = engine
        # Sized as in production: CHATCRM_OCR_WORKERS reads share the cores (one onnxruntime thread each
        # with the default two workers on two cores).
        self.workers = int(os.environ.get("CHATCRM_OCR_WORKERS", "2"))
        self.ocr = card_ocr("tesseract" if engine == "tesseract" else "rapidocr", workers=self.workers)
        self.text = ""

    def facts(self, photos: Sequence[bytes], tally: Tally) -> CardFacts:
        started, cpu = time.perf_counter(), _cpu()
        try:
            pages = [self.ocr.read(photo) for photo in photos]
            facts = parse_card(pages)
            self.text = "\n".join(page.text for page in pages)
        except ImageError:
            tally.refused += 1
            facts = CardFacts()
            self.text = ""
        tally.seconds.append(time.perf_counter() - started)
        tally.cpu.append(_cpu() - cpu)
        return facts


# --- real cards ------------------------------------------------------------------------------------------


def _real_cards() -> list[tuple[str, Path, dict[str, list[list[str]]]]]:
    root = devset() / "cards"
    labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))
    cards = []
    for entry in labels:
        truth = {name: [[value]] for name, value in entry["fields"].items() if value and name in FIELDS}
        path = devset() / entry["file"] if (devset() / entry["file"]).exists() else root / entry["file"]
        cards.append((Path(entry["file"]).name, path, truth))
    return cards


def _report(title: str, tally: Tally) -> list[str]:
    right, total = tally.accuracy()
    out = [
        f"### {title}",
        "",
        f"Field accuracy **{pct(right / total) if total else '-'}** ({right} of {total} labelled fields) on "
        f"{tally.cards} cards; refused {tally.refused}; median {median(tally.seconds):.2f} s per card "
        f"(CPU {median(tally.cpu):.2f} s).",
        "",
        table(["field", "labelled", "precision", "recall"], tally.rows()),
        "",
    ]
    if os.environ.get("CARDS_VERBOSE"):
        out += ["```", *tally.misses, "```", ""]
    return out


# --- synthetic renders -----------------------------------------------------------------------------------


def _synthetic_truth(truth: Any) -> dict[str, list[list[str]]]:
    """cardgen's CardTruth in the development set's field names, alternatives kept."""
    alternatives = truth.alternatives

    def item(name: str, value: str | None, key: str) -> list[list[str]]:
        return [[value, *[a for a in alternatives.get(key, ()) if a]]] if value else []

    return {
        "name": item("name", truth.name, "name"),
        "title": item("title", truth.title, "title"),
        "company": item("company", truth.company, "company"),
        "mobile": item("mobile", truth.mobile, "mobile"),
        "phone": [[p] for p in truth.phones],
        "fax": item("fax", truth.fax, "fax"),
        "email": [[e] for e in truth.emails],
        "address": item("address", truth.address, "address"),
        "website": item("website", truth.website, "website"),
        "wechat": item("wechat", truth.wechat_id, "wechat_id"),
        "qq": item("qq", truth.qq, "qq"),
    }


def synthetic_groups(count: int) -> dict[str, list[Any]]:
    from tests.support import cardgen

    groups: dict[str, list[Any]] = {"clean renders": [], "renders photographed badly": []}
    for index in range(count):
        language = cardgen.LANGUAGES[index % len(cardgen.LANGUAGES)]
        layout = cardgen.LAYOUTS[(index // len(cardgen.LANGUAGES)) % len(cardgen.LAYOUTS)]
        groups["clean renders"].append(cardgen.generate_card(index, language=language, layout=layout))
        groups["renders photographed badly"].append(
            cardgen.perturbed_card(10_000 + index, language=language, layout=layout)
        )
    designer = getattr(cardgen, "designer_card", None)
    if designer is not None:
        groups["designer renders (panels, white on dark, two columns, angled on a table)"] = [
            designer(20_000 + index) for index in range(count)
        ]
    return groups


# --- side by side -----------------------------------------------------------------------------------------


def labelled_texts(truth: dict[str, list[list[str]]]) -> list[tuple[str, str]]:
    """(field, value) of every labelled field."""
    return [(name, item[0]) for name, items in truth.items() for item in items]


_TRUNK = re.compile(r"\(\s*0\s*\)")


def _number_digits(value: str) -> str:
    """The digits a card prints for a number: E.164 values (the renders' truth) without their country
    code, printed labels as printed (a "(0)" trunk aside)."""
    if value.startswith("+") and ";" not in value and "(" not in value and " " not in value:
        try:
            return str(phonenumbers.parse(value, None).national_number)
        except phonenumbers.NumberParseException:
            pass
    return re.sub(r"\D", "", _TRUNK.sub("", value).split(";ext=")[0])


def verbatim(fields: Iterable[tuple[str, str]], engine_text: str) -> tuple[int, int]:
    """How many labelled field texts appear in the engine's text, spacing and punctuation aside (numbers:
    their digits, in any grouping)."""
    haystack, digits = fold(engine_text), re.sub(r"\D", "", _TRUNK.sub("", engine_text))
    found = total = 0
    for name, value in fields:
        needle = _number_digits(value) if name in _PHONES else fold(value)
        if needle:
            total += 1
            found += needle in (digits if name in _PHONES else haystack)
    return found, total


class PlainRapid:
    """PP-OCR alone: rapidocr-onnxruntime's own pipeline on the photo as sent, lines joined."""

    def __init__(self, threads: int) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)

    def text(self, photo: bytes) -> str:
        result, _ = self.engine(photo)
        return "\n".join(str(item[1]) for item in result or [])


def plain_tesseract(photo: bytes) -> str:
    """`tesseract --psm 6` on the unprocessed image, one thread as in production."""
    with tempfile.NamedTemporaryFile(suffix=".img") as image:
        image.write(photo)
        image.flush()
        done = subprocess.run(
            ["tesseract", image.name, "stdout", "--psm", "6", "-l", "eng+chi_sim"],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    return done.stdout


def _side_by_side(
    title: str,
    inputs: list[tuple[list[tuple[str, str]], Sequence[bytes]]],
    ours: Callable[[Sequence[bytes]], str],
) -> list[str]:
    rapid = PlainRapid(threads=1)
    rapid.text(inputs[0][1][0])  # models loaded outside the timing
    engines: list[tuple[str, Callable[[Sequence[bytes]], str]]] = [
        ("our reader (PP-OCR + layout)", ours),
        ("rapidocr alone, raw image", lambda photos: "\n".join(rapid.text(p) for p in photos)),
        ("tesseract --psm 6, raw image", lambda photos: "\n".join(plain_tesseract(p) for p in photos)),
    ]
    rows = []
    for name, run in engines:
        found = total = 0
        seconds, cpu = [], []
        for texts, photos in inputs:
            started, cpu_started = time.perf_counter(), _cpu()
            text = run(photos)
            seconds.append(time.perf_counter() - started)
            cpu.append(_cpu() - cpu_started)
            hit, count = verbatim(texts, text)
            found, total = found + hit, total + count
        rows.append(
            [
                name,
                f"{pct(found / total)} ({found} of {total})",
                f"{median(seconds):.2f}",
                f"{median(cpu):.2f}",
            ]
        )
    return [
        f"### {title}",
        "",
        table(["engine", "field texts found verbatim", "median s per card", "median CPU s"], rows),
        "",
    ]


def main() -> None:
    count = int(os.environ.get("CARDS_SYNTHETIC", "24"))
    reader = Reader()
    # Models, the parser's gazetteers and converters loaded outside the timing.
    from tests.support.cardgen import generate_card

    reader.facts(generate_card(99_999).encoded("JPEG", 90), Tally())
    print("## Business cards\n")
    print(f"Reader: {reader.engine}, sized for {reader.workers} OCR workers on {os.cpu_count()} cores.\n")

    real = _real_cards()
    tally = Tally()
    texts: dict[str, str] = {}
    for label, path, truth in real:
        facts = reader.facts([path.read_bytes()], tally)
        texts[label] = reader.text
        tally.add(label, truth, facts)
    print("\n".join(_report(f"Real cards (development set, {len(real)} cards)", tally)))

    groups = synthetic_groups(count)
    for title, cards in groups.items():
        synthetic = Tally()
        for card in cards:
            facts = reader.facts(card.encoded("JPEG", 90), synthetic)
            synthetic.add(
                f"seed {card.seed} {card.language}/{card.layout}", _synthetic_truth(card.truth), facts
            )
        print("\n".join(_report(f"Synthetic: {title} ({len(cards)} cards)", synthetic)))

    def ours(photos: Sequence[bytes]) -> str:
        return "\n".join(reader.ocr.read(photo).text for photo in photos)

    real_inputs = [(labelled_texts(truth), [path.read_bytes()]) for _, path, truth in real]
    print("\n".join(_side_by_side("Side by side, real cards (same inputs)", real_inputs, ours)))
    synthetic_inputs = [
        (labelled_texts(_synthetic_truth(card.truth)), list(card.encoded("JPEG", 90)))
        for cards in groups.values()
        for card in cards[: max(1, count // 2)]
    ]
    print("\n".join(_side_by_side("Side by side, synthetic renders (same inputs)", synthetic_inputs, ours)))


if __name__ == "__main__":
    main()
