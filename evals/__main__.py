"""Run the accuracy evaluations: every evals/eval_*.py in name order, or those named (`python -m evals
cards`; `python -m evals speech --ablation` passes the option on).

Each evaluation runs in a process of its own and prints Markdown (headings and tables) on stdout; what
they print is shown as it comes and, after a full run, written to docs/accuracy.md. Accuracy on real
inputs (../shared/devset/) and on inputs the project generated itself is always printed apart.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "accuracy.md"

HEADER = """# Accuracy

`make eval` scores the extractors and writes this page; `python -m evals NAME…` runs some of them.
Real inputs (the development set in ../shared/devset/, real recordings and photos from public
repositories) and inputs the project made itself (rendered cards, synthesized speech, chats written
beside the parser) are always reported apart: a synthetic figure is a regression guard, not the claim.
The acceptance figures are measured by the same scorers on a held-out set of real inputs that is not in
this repository.

Run {date} on {machine}.
"""


def _machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    return f"{os.cpu_count()} cores of {cpu}, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str]) -> None:
    # Options (`--ablation`) go to every evaluation run; the other arguments name evaluations.
    options = [a for a in argv if a.startswith("--")]
    names = [a for a in argv if not a.startswith("--")]
    available = sorted(p.stem for p in Path(__file__).parent.glob("eval_*.py"))
    wanted = [a if a.startswith("eval_") else f"eval_{a}" for a in names] or available
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        raise SystemExit(f"unknown evaluation(s): {', '.join(unknown)}; available: {', '.join(available)}")
    sections: list[str] = []
    failed = []
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        proc = subprocess.Popen(
            [sys.executable, "-c", f"import evals.{name} as e; e.main()", *options],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert proc.stdout is not None
        out: list[str] = []
        for line in proc.stdout:
            print(line, end="", flush=True)
            out.append(line)
        if proc.wait() != 0:
            failed.append(name)
        sections.append("".join(out).strip())
    if not names and not failed:
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        REPORT.write_text(HEADER.format(date=date, machine=_machine()) + "\n" + "\n\n".join(sections) + "\n")
        print(f"\nwritten: {REPORT.relative_to(ROOT)}")
    if failed:
        raise SystemExit(f"evaluation(s) failed: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
