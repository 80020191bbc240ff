"""Acknowledgement under bursts, shared by the channel benchmarks (bench_wechat, bench_telegram).

A separate load process (so that its client work does not share the server's event loop) prepares
its requests, prints "ready", then posts one burst of concurrent requests per "go" line it reads and
prints the burst's latencies. The server side drives it burst by burst and waits until every message
of the burst was handled."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

Post = Callable[[aiohttp.ClientSession], Awaitable[int]]  # one request; returns its HTTP status


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(bursts: list[list[Post]]) -> None:
    """The load process's side: a burst per "go" read on stdin, its latencies printed as JSON."""
    print("ready", flush=True)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for posts in bursts:
            await asyncio.to_thread(sys.stdin.readline)  # wait for "go"

            async def one(post: Post) -> float:
                start = time.perf_counter()
                status = await post(session)
                assert status == 200, status
                return time.perf_counter() - start

            started = time.perf_counter()
            latencies = await asyncio.gather(*(one(post) for post in posts))
            wall = time.perf_counter() - started
            print(json.dumps({"latencies": latencies, "wall": wall}), flush=True)


async def drive(
    process: asyncio.subprocess.Process,
    bursts: int,
    size: int,
    handled: Callable[[], int],
    after_burst: Callable[[], None] | None = None,
) -> dict[str, float]:
    """The server's side: `bursts` bursts of `size` requests from the load `process`, each waited for
    until `handled()` grew by `size`. Medians over the bursts: ack p50 / p99 (ms), acks per second,
    messages handled per second; and the worst burst's p99."""
    assert process.stdin is not None
    assert process.stdout is not None
    assert (await process.stdout.readline()).strip() == b"ready"
    p50s, p99s, acks, rates = [], [], [], []
    for _ in range(bursts):
        before = handled()
        process.stdin.write(b"go\n")
        await process.stdin.drain()
        line = await process.stdout.readline()
        started = time.perf_counter()
        data: dict[str, Any] = json.loads(line)
        latencies = [x * 1000 for x in data["latencies"]]
        p50s.append(percentile(latencies, 0.5))
        p99s.append(percentile(latencies, 0.99))
        acks.append(size / data["wall"])
        async with asyncio.timeout(300):
            while handled() - before < size:  # noqa: ASYNC110 - a counter, polled
                await asyncio.sleep(0.01)
        rates.append(size / (data["wall"] + time.perf_counter() - started))
        if after_burst is not None:
            after_burst()
    process.stdin.close()
    await process.wait()
    return {
        "p50_ms": statistics.median(p50s),
        "p99_ms": statistics.median(p99s),
        "worst_p99_ms": max(p99s),
        "acks_per_s": statistics.median(acks),
        "handled_per_s": statistics.median(rates),
    }
