"""Deals benchmarks: the manager digest of a team with 1k, 10k and 100k open deals (time and
peak Python memory), and stage-advance latency, on SQLite and on PostgreSQL (CHATCRM_TEST_POSTGRES_URL,
as `make bench` sets it; skipped without it).

Data is generated with bulk inserts straight into the tables: per deal a customer, two interactions,
a third of them an overdue commitment, confirmed evidence and contacts with decision roles, deals
spread over the five stages and over the last 40 days. Targets: digest of 100k deals <= 2 s on SQLite
(2 cores), stage advance p99 < 100 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.deals.view import team_digest
from crm.clock import SystemClock
from crm.deals import DealService, GateRefused
from crm.digest import DigestService
from crm.model import Lang, Member, Role
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage import tables as t
from storage.db import create_engine, sqlite_url
from storage.tables import metadata
from storage.uow import SqlUnitOfWorkFactory

SIZES = (1_000, 10_000, 100_000)
RUNS = 3
ADVANCES = 200
CHUNK = 5_000
STAGES = ("lead", "requirements", "solution", "decision_chain", "closing")
EVIDENCE = {
    "requirements": ["requirement_confirmation"],
    "solution": ["proposal", "solution_confirmation"],
    "closing": ["contract_draft", "no_objections"],
}
ROLES = ("procurement", "technical", "finance", "decision_maker")


async def _rows(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            await conn.execute(insert(table), rows[start : start + CHUNK])


async def seed(engine: AsyncEngine, deals: int, now: datetime) -> tuple[int, Member]:
    """One team (an admin, a manager, 20 reps) with `deals` open deals; returns the team and manager."""
    rng = random.Random(deals)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(t.teams).values(id=1, name="bench", settings={}, created_at=now))
        members = [
            {
                "id": i,
                "team_id": 1,
                "name": f"member{i}",
                "role": (Role.ADMIN if i == 1 else Role.MANAGER if i == 2 else Role.REP).value,
                "lang": "zh",
                "timezone": "Asia/Shanghai",
                "weekend_to_monday": False,
                "active": True,
                "created_at": now,
            }
            for i in range(1, 23)
        ]
        await conn.execute(insert(t.members), members)
    customers, deal_rows, interactions, commitments, evidence, contacts = [], [], [], [], [], []
    for i in range(1, deals + 1):
        owner = 3 + i % 20
        stage = STAGES[min(4, int(rng.random() ** 1.6 * 5))]
        created = now - timedelta(days=rng.randrange(1, 40), minutes=rng.randrange(1440))
        entered = min(now, created + timedelta(days=rng.randrange(0, 20)))
        customers.append(
            {
                "id": i,
                "team_id": 1,
                "owner_id": owner,
                "name": f"客户{i}有限公司",
                "name_key": f"客户{i}",
                "budget_cny": rng.choice([None, 300_000, 500_000]),
                "timeline": rng.choice([None, "明年3月"]),
                "needs": [],
                "keywords": [],
                "confirmed": True,
                "created_at": created,
                "updated_at": created,
            }
        )
        deal_rows.append(
            {
                "id": i,
                "team_id": 1,
                "customer_id": i,
                "owner_id": owner,
                "title": f"客户{i}有限公司",
                "stage": stage,
                "status": "open",
                "amount_cny": rng.choice([None, 200_000, 800_000]),
                "stage_entered_at": entered,
                "created_at": created,
                "updated_at": entered,
            }
        )
        interactions.extend(
            {
                "team_id": 1,
                "author_id": owner,
                "customer_id": i,
                "deal_id": i,
                "source": "chat",
                "content": "…",
                "facts": {},
                "created_at": created + timedelta(days=k * rng.randrange(0, 10)),
            }
            for k in range(2)
        )
        if i % 3 == 0:
            commitments.append(
                {
                    "team_id": 1,
                    "owner_id": owner,
                    "customer_id": i,
                    "deal_id": i,
                    "text": "发报价",
                    "party": "us",
                    "due_at": now - timedelta(days=rng.randrange(-5, 10)),
                    "created_at": created,
                }
            )
        done = STAGES.index(stage)
        evidence.extend(
            {
                "team_id": 1,
                "deal_id": i,
                "author_id": owner,
                "kind": "file",
                "status": "confirmed",
                "requirement": requirement,
                "keywords": [],
                "created_at": entered,
            }
            for earlier in STAGES[: done + 1]
            for requirement in EVIDENCE.get(earlier, [])
            if rng.random() < 0.8
        )
        contacts.extend(
            {
                "team_id": 1,
                "owner_id": owner,
                "customer_id": i,
                "name": "联系人",
                "phones": [],
                "emails": [],
                "decision_role": role,
                "created_at": created,
                "updated_at": created,
            }
            for role in rng.sample(ROLES, rng.randrange(0, 4))
        )
    for table, rows in (
        (t.customers, customers),
        (t.deals, deal_rows),
        (t.interactions, interactions),
        (t.commitments, commitments),
        (t.deal_evidence, evidence),
        (t.contacts, contacts),
    ):
        await _rows(engine, table, rows)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            for table in (
                "deals",
                "customers",
                "interactions",
                "commitments",
                "deal_evidence",
                "contacts",
                "members",
            ):
                await conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
            await conn.execute(text("ANALYZE"))
    else:
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    manager = Member(
        id=2,
        team_id=1,
        name="member2",
        role=Role.MANAGER,
        lang=Lang.ZH,
        timezone="Asia/Shanghai",
        created_at=now,
    )
    return 1, manager


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def digest_bench(engine: AsyncEngine, manager: Member) -> dict[str, float]:
    service = DigestService(SqlUnitOfWorkFactory(engine), SystemClock())

    async def compose() -> None:
        digest = await service.team(1)
        team_digest(manager, digest, None)

    await compose()  # warm the caches (SQLite page cache, PostgreSQL plans)
    times = [await _timed(compose) for _ in range(RUNS)]
    tracemalloc.start()
    await compose()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"median_s": statistics.median(times), "peak_mb": peak / 1_048_576}


async def advance_bench(engine: AsyncEngine, manager: Member) -> dict[str, float]:
    """Advances deals of the first stage whose budget and timeline are known (the gate passes), and
    asks for deals that lack something (the gate refuses): both are what a tap costs."""
    uow = SqlUnitOfWorkFactory(engine)
    deals = DealService(uow, SystemClock(), Extractor(), Normalizer())
    async with engine.connect() as conn:
        ready = (
            (
                await conn.execute(
                    text(
                        "SELECT d.id FROM deals d JOIN customers c ON c.id = d.customer_id "
                        "WHERE d.stage = 'lead' AND c.budget_cny IS NOT NULL AND c.timeline IS NOT NULL "
                        "ORDER BY d.id LIMIT :n"
                    ),
                    {"n": ADVANCES},
                )
            )
            .scalars()
            .all()
        )
        lacking = (
            (
                await conn.execute(
                    text("SELECT id FROM deals WHERE stage = 'requirements' ORDER BY id LIMIT :n"),
                    {"n": ADVANCES},
                )
            )
            .scalars()
            .all()
        )
    passed = [await _timed(lambda d=deal_id: deals.advance(manager, d)) for deal_id in ready]

    async def attempt(deal_id: int) -> None:
        with contextlib.suppress(GateRefused):  # the expected outcome
            await deals.advance(manager, deal_id, "closing")

    refused = [await _timed(lambda d=deal_id: attempt(d)) for deal_id in lacking]
    both = passed + refused
    return {
        "p50_ms": statistics.median(both) * 1000,
        "p99_ms": _pct(both, 0.99) * 1000,
        "passed_p50_ms": statistics.median(passed) * 1000 if passed else 0.0,
        "refused_p50_ms": statistics.median(refused) * 1000 if refused else 0.0,
        "count": len(both),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _postgres_database(admin_url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))

    async def drop() -> None:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()

    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", drop


async def run_backend(backend: str, size: int, workdir: Path) -> dict[str, Any]:
    now = datetime.now(UTC)
    drop: Callable[[], Awaitable[None]] | None = None
    if backend == "sqlite":
        url = sqlite_url(workdir / f"bench_{size}.db")
    else:
        url, drop = await _postgres_database(os.environ["CHATCRM_TEST_POSTGRES_URL"])
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        _, manager = await seed(engine, size, now)
        seeded = time.perf_counter() - started
        result: dict[str, Any] = {"seed_s": seeded, **await digest_bench(engine, manager)}
        if size == 10_000:
            result["advance"] = await advance_bench(engine, manager)
        return result
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()


async def amain() -> None:
    backends = ["sqlite"] + (["postgres"] if os.environ.get("CHATCRM_TEST_POSTGRES_URL") else [])
    if "postgres" not in backends:
        print("CHATCRM_TEST_POSTGRES_URL not set: PostgreSQL skipped (source scripts/test-postgres)")
    print(
        f"{'backend':<9}{'deals':>8}{'seed s':>9}{'digest s (median)':>19}{'peak MB':>9}"
        f"{'per 1k deals ms':>17}"
    )
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for size in SIZES:
                r = await run_backend(backend, size, Path(tmp))
                results[(backend, size)] = r
                print(
                    f"{backend:<9}{size:>8}{r['seed_s']:>9.1f}{r['median_s']:>19.3f}{r['peak_mb']:>9.1f}"
                    f"{r['median_s'] / size * 1_000_000:>17.2f}",
                    flush=True,
                )
    for backend in backends:
        small, large = results[(backend, 1_000)]["median_s"], results[(backend, 100_000)]["median_s"]
        print(f"{backend}: 100k/1k digest time ratio {large / small:.1f} (linear would be 100)")
        adv = results[(backend, 10_000)]["advance"]
        print(
            f"{backend}: stage advance on 10k deals, {adv['count']} taps: p50 {adv['p50_ms']:.1f} ms, "
            f"p99 {adv['p99_ms']:.1f} ms (gate passed p50 {adv['passed_p50_ms']:.1f} ms, "
            f"refused p50 {adv['refused_p50_ms']:.1f} ms)"
        )
    sqlite_100k = results[("sqlite", 100_000)]["median_s"]
    print(
        f"target: digest of 100k deals on SQLite <= 2 s: {sqlite_100k:.2f} s -> "
        f"{'met' if sqlite_100k <= 2 else 'MISSED'}"
    )
    p99 = max(results[(b, 10_000)]["advance"]["p99_ms"] for b in backends)
    print(f"target: stage advance p99 < 100 ms: worst {p99:.1f} ms -> {'met' if p99 < 100 else 'MISSED'}")


def main() -> None:
    asyncio.run(amain())


if __name__ == "__main__":
    main()
