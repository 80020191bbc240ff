"""Business cards: our reader (PP-OCR + layout + parser) against PP-OCR alone and tesseract alone on the
same cards: median seconds per card, CPU seconds, and peak memory, each engine in a process of its own.

`python -m bench cards`. Cards: the development set's real photos when ../shared/devset is there (reported
apart), and CARDS_BENCH (default 12) synthetic renders of each kind (clean, photographed badly, designer
styles). Field accuracy of our reader is printed too; `make eval` (evals/eval_cards.py) is where accuracy
is measured properly.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("ours", "ours-tesseract", "rapidocr", "tesseract")
TARGET_SECONDS = 1.0


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    """The largest peak of the tesseract processes this process started and waited for."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def write_inputs(count: int, folder: Path) -> None:
    """The cards as files in `folder` and a manifest (label, photo files, truth in evals.eval_cards' form),
    made once by the parent: the engines' processes then hold one card at a time, and their peak memory
    is the engine's, not the renderer's."""
    from evals.eval_cards import _real_cards, _synthetic_truth, synthetic_groups

    manifest: dict[str, list[dict[str, Any]]] = {}
    try:
        real = _real_cards()
    except SystemExit:
        real = []
    if real:
        manifest["real (development set)"] = [
            {"label": label, "photos": [str(path)], "truth": truth} for label, path, truth in real
        ]
    for title, cards in synthetic_groups(count).items():
        entries = []
        for card in cards:
            photos = []
            for side, data in enumerate(card.encoded("JPEG", 90)):
                path = folder / f"{card.seed}-{side}.jpg"
                path.write_bytes(data)
                photos.append(str(path))
            entries.append(
                {"label": f"seed {card.seed}", "photos": photos, "truth": _synthetic_truth(card.truth)}
            )
        manifest[f"synthetic: {title.split(' (')[0]}"] = entries
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def _engine(name: str) -> Callable[[Sequence[bytes]], Any]:
    from crm.facts import CardFacts
    from nlu.card import parse_card
    from ocr import ImageError, card_ocr

    if name in {"ours", "ours-tesseract"}:
        # As in production: CHATCRM_OCR_WORKERS (2) reads share the cores.
        workers = int(os.environ.get("CHATCRM_OCR_WORKERS", "2"))
        reader = card_ocr("tesseract" if name == "ours-tesseract" else "rapidocr", workers=workers)

        def ours(photos: Sequence[bytes]) -> CardFacts:
            try:
                return parse_card([reader.read(photo) for photo in photos])
            except ImageError:
                return CardFacts()

        return ours
    if name == "rapidocr":
        from evals.eval_cards import PlainRapid

        rapid = PlainRapid(threads=1)
        return lambda photos: "\n".join(rapid.text(photo) for photo in photos)
    from evals.eval_cards import plain_tesseract

    return lambda photos: "\n".join(plain_tesseract(photo) for photo in photos)


def child(name: str, folder: Path) -> None:
    """Runs one engine over every card; prints one JSON object."""
    from crm.facts import CardFacts
    from evals.eval_cards import Tally, labelled_texts, verbatim

    groups: dict[str, list[dict[str, Any]]] = json.loads((folder / "manifest.json").read_text("utf-8"))
    run = _engine(name)
    run([Path(p).read_bytes() for p in next(iter(groups.values()))[0]["photos"]])  # models loaded untimed
    report: dict[str, Any] = {}
    for title, cards in groups.items():
        seconds, cpu = [], []
        tally = Tally()
        found = total = 0
        for entry in cards:
            label, truth = entry["label"], entry["truth"]
            photos = [Path(p).read_bytes() for p in entry["photos"]]
            started, cpu_started = time.perf_counter(), _cpu()
            result = run(photos)
            seconds.append(time.perf_counter() - started)
            cpu.append(_cpu() - cpu_started)
            if isinstance(result, CardFacts):
                tally.add(label, truth, result)
                text = result.raw_text
            else:
                text = result
            hit, count_ = verbatim(labelled_texts(truth), text)
            found, total = found + hit, total + count_
        right, labelled = tally.accuracy()
        report[title] = {
            "cards": len(cards),
            "median_s": statistics.median(seconds),
            "p90_s": sorted(seconds)[min(len(seconds) - 1, int(0.9 * len(seconds)))],
            "median_cpu_s": statistics.median(cpu),
            "verbatim": [found, total],
            "fields": [right, labelled] if labelled else None,
        }
    # tesseract alone is the tesseract program: its processes' peak, not this Python process's.
    report["peak_mb"] = _children_peak_mb() if name == "tesseract" else peak_rss_mb()
    print(json.dumps(report))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
        return
    count = int(os.environ.get("CARDS_BENCH", "12"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OMP_THREAD_LIMIT", None)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cards-") as tmp:
        write_inputs(count, Path(tmp))
        for name in ENGINES:
            done = subprocess.run(
                [sys.executable, "-m", "bench.bench_cards", "--child", name, tmp],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                check=False,
            )
            if done.returncode != 0:
                print(f"{name}: failed\n{done.stderr[-2000:]}")
                continue
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    titles = [title for title in next(iter(results.values())) if title != "peak_mb"] if results else []
    for title in titles:
        print(f"\n{title}: {results[next(iter(results))][title]['cards']} cards")
        header = f"  {'engine':<16} {'median s':>9} {'p90 s':>7} {'CPU s':>7} {'verbatim':>10}"
        print(f"{header} {'fields right':>14}")
        for name, report in results.items():
            row = report[title]
            found, total = row["verbatim"]
            fields = f"{100 * row['fields'][0] / row['fields'][1]:.1f}%" if row["fields"] else "-"
            print(
                f"  {name:<16} {row['median_s']:>9.2f} {row['p90_s']:>7.2f} {row['median_cpu_s']:>7.2f} "
                f"{100 * found / max(1, total):>9.1f}% {fields:>14}"
            )
    print(
        "\npeak memory (VmHWM of each engine's own Python process; tesseract alone: the tesseract program):"
    )
    for name, report in results.items():
        print(f"  {name:<16} {report['peak_mb']:>7.0f} MB")
    if "ours" in results:
        real = results["ours"].get("real (development set)")
        if real:
            verdict = "met" if real["median_s"] <= TARGET_SECONDS else "NOT met"
            median, cpu = real["median_s"], real["median_cpu_s"]
            print(
                f"\ntarget <= {TARGET_SECONDS:.0f} s median per real card: {median:.2f} s wall ({verdict}), "
                f"{cpu:.2f} s CPU"
            )
    # Other work on a shared machine stretches wall time, not CPU time: the load says how much.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} at the end")


if __name__ == "__main__":
    main()
