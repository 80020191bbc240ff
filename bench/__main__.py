"""Run the benchmarks: every bench/bench_*.py in name order, or those named (`python -m bench speech`).

Each benchmark runs in a process of its own, so that its peak-memory figures are its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    available = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    wanted = [a if a.startswith("bench_") else f"bench_{a}" for a in argv] or available
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
    failed = []
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        done = subprocess.run([sys.executable, "-c", f"import bench.{name} as b; b.main()"], check=False)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        raise SystemExit(f"benchmark(s) failed: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
