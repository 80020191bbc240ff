"""History and data-health benchmarks on SQLite and PostgreSQL (CHATCRM_TEST_POSTGRES_URL, as `make
bench` sets it; skipped without it), for teams of 10k and 100k customers:

- /health for a manager: the team's figures (four grouped statements) and the reply, median of 3 runs
  (wall time, and CPU time of this process, which holds SQLite: the machine is shared) and peak Python
  memory; a rep's own /health (their figures and the examples of each gap), which is
  also what the weekly nudge composes;
- /history: a page of an ordinary customer's history, and the first and a deep page of a customer with
  1,000 operations;
- `chatcrm audit --team`: the newest 1,000 operations of the team with their changes.

Data is bulk-inserted straight into the tables: 20 reps; per customer about 1.3 contacts (a quarter
without a phone), two interactions over the last 150 days (a tenth undone), one deal (80 % open), a
reminder for a third of them, a commitment for a fifth, one capture in the audit log with its three
journal rows; 2 % of contacts in open duplicate flags. Target: /health of 100k customers "well under a
few seconds" on these 2 shared cores.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bench_deals import _pct, _postgres_database, _timed
from chat.data_health.view import member_report, team_report
from chat.history.view import page
from crm.clock import SystemClock
from crm.data_health_service import DataHealthService
from crm.history import HistoryService
from crm.model import Lang, Member, Role
from storage import tables as t
from storage.db import create_engine, sqlite_url
from storage.tables import metadata
from storage.uow import SqlUnitOfWorkFactory

SIZES = (10_000, 100_000)
RUNS = 3
PAGES = 50
BUSY_OPERATIONS = 1_000
CHUNK = 5_000
REPS = 20


async def _rows(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            await conn.execute(insert(table), rows[start : start + CHUNK])


def _member(member_id: int, role: Role, now: datetime) -> Member:
    return Member(
        id=member_id,
        team_id=1,
        name=f"member{member_id}",
        role=role,
        lang=Lang.ZH,
        timezone="Asia/Shanghai",
        created_at=now - timedelta(days=400),
    )


async def seed(engine: AsyncEngine, customers: int, now: datetime) -> None:
    rng = random.Random(customers)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(t.teams).values(id=1, name="bench", settings={}, created_at=now))
        await conn.execute(
            insert(t.members),
            [
                {
                    "id": i,
                    "team_id": 1,
                    "name": f"member{i}",
                    "role": (Role.MANAGER if i == 1 else Role.REP).value,
                    "lang": "zh",
                    "timezone": "Asia/Shanghai",
                    "weekend_to_monday": False,
                    "active": True,
                    "created_at": now - timedelta(days=400),
                }
                for i in range(1, REPS + 2)
            ],
        )
    rows: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "customers",
            "contacts",
            "deals",
            "interactions",
            "reminders",
            "commitments",
            "audit",
            "field_journal",
        )
    }
    contact_id = interaction_id = 0
    for i in range(1, customers + 1):
        owner = 2 + i % REPS
        created = now - timedelta(days=rng.uniform(1, 400))
        rows["customers"].append(
            {
                "id": i,
                "team_id": 1,
                "owner_id": owner,
                "name": f"客户{i}有限公司" if rng.random() < 0.95 else None,
                "name_key": f"客户{i}",
                "follow_up": rng.choice([None, "new", "contacted", "meeting"]),
                "next_meeting": now + timedelta(days=3) if rng.random() < 0.1 else None,
                "needs": [],
                "keywords": [],
                "confirmed": True,
                "archived_at": now if i % 50 == 0 else None,  # 2 %
                "created_at": created,
                "updated_at": created,
            }
        )
        for _ in range(1 if rng.random() < 0.7 else 2):
            contact_id += 1
            rows["contacts"].append(
                {
                    "id": contact_id,
                    "team_id": 1,
                    "owner_id": owner,
                    "customer_id": i,
                    "name": "联系人" if rng.random() < 0.95 else None,
                    "phones": ["+8613800000000"] if rng.random() < 0.75 else [],
                    "emails": [],
                    "created_at": created,
                    "updated_at": created,
                }
            )
        rows["deals"].append(
            {
                "id": i,
                "team_id": 1,
                "customer_id": i,
                "owner_id": owner,
                "title": f"客户{i}有限公司",
                "stage": "lead",
                "status": "open" if rng.random() < 0.8 else "won",
                "stage_entered_at": created,
                "created_at": created,
                "updated_at": created,
            }
        )
        for _ in range(2):
            interaction_id += 1
            rows["interactions"].append(
                {
                    "id": interaction_id,
                    "team_id": 1,
                    "author_id": owner,
                    "customer_id": i,
                    "contact_id": contact_id,
                    "deal_id": i,
                    "source": "chat",
                    "content": "…",
                    "facts": {},
                    "undone_at": now if rng.random() < 0.1 else None,
                    "created_at": now - timedelta(days=rng.uniform(0, 150)),
                }
            )
        if rng.random() < 0.33:
            rows["reminders"].append(
                {
                    "team_id": 1,
                    "member_id": owner,
                    "customer_id": i,
                    "kind": "ask",
                    "text": "回电话",
                    "due_at": now + timedelta(days=rng.uniform(-5, 10)),
                    "status": rng.choice(["pending", "delivered", "done"]),
                    "attempts": 0,
                    "created_at": created,
                }
            )
        if rng.random() < 0.2:
            rows["commitments"].append(
                {
                    "team_id": 1,
                    "owner_id": owner,
                    "customer_id": i,
                    "deal_id": i,
                    "text": "发报价",
                    "party": "us",
                    "due_at": now + timedelta(days=rng.uniform(-10, 10)),
                    "created_at": created,
                }
            )
        rows["audit"].append(
            {
                "id": i,
                "team_id": 1,
                "actor_id": owner,
                "action": "capture",
                "target_type": "interaction",
                "target_id": interaction_id,
                "detail": {"interaction": interaction_id},
                "created_at": created,
            }
        )
        rows["field_journal"] += [
            {"team_id": 1, "audit_id": i, "record_type": kind, "record_id": record, "field": None}
            for kind, record in (("customer", i), ("contact", contact_id), ("deal", i))
        ]
    # The busy customer: a thousand corrections of its budget, after everything else.
    for n in range(BUSY_OPERATIONS):
        audit_id = customers + 1 + n
        rows["audit"].append(
            {
                "id": audit_id,
                "team_id": 1,
                "actor_id": 2,
                "action": "field.edited",
                "target_type": "interaction",
                "target_id": 1,
                "detail": {"field": "budget"},
                "created_at": now - timedelta(minutes=BUSY_OPERATIONS - n),
            }
        )
        rows["field_journal"].append(
            {
                "team_id": 1,
                "audit_id": audit_id,
                "record_type": "customer",
                "record_id": 1,
                "field": "budget_cny",
                "value_before": n * 1000,
                "value_after": (n + 1) * 1000,
            }
        )
    for name, table in (
        ("customers", t.customers),
        ("contacts", t.contacts),
        ("deals", t.deals),
        ("interactions", t.interactions),
        ("reminders", t.reminders),
        ("commitments", t.commitments),
        ("audit", t.audit),
        ("field_journal", t.field_journal),
    ):
        await _rows(engine, table, rows[name])
    flags = [
        {
            "team_id": 1,
            "kind": "review",
            "contact_id": n,
            "candidate_id": n + 1,
            "score": 80.0,
            "status": "open",
            "created_at": now,
        }
        for n in range(1, contact_id, 50)
    ]
    await _rows(engine, t.duplicate_flags, flags)
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("customers", "contacts", "deals", "interactions", "audit", "members"):
                await conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        await conn.execute(text("ANALYZE"))


async def _median(work: Callable[[], Awaitable[Any]], runs: int = RUNS) -> float:
    await work()  # warm the caches (SQLite page cache, PostgreSQL plans)
    return statistics.median([await _timed(work) for _ in range(runs)])


async def _cpu(work: Callable[[], Awaitable[Any]], runs: int = RUNS) -> float:
    """Median CPU seconds of this process (SQLite runs in it; PostgreSQL's server is not counted):
    what the work costs whatever else the shared machine runs."""
    found = []
    for _ in range(runs):
        start = time.process_time()
        await work()
        found.append(time.process_time() - start)
    return statistics.median(found)


async def health_bench(engine: AsyncEngine, now: datetime) -> dict[str, float]:
    service = DataHealthService(SqlUnitOfWorkFactory(engine), SystemClock())
    manager, rep = _member(1, Role.MANAGER, now), _member(2, Role.REP, now)

    async def team() -> None:
        team_report(manager, await service.team(1, now))

    async def own() -> None:
        member_report(rep, await service.member(rep, now))

    result = {"team_s": await _median(team), "team_cpu_s": await _cpu(team), "rep_s": await _median(own)}
    tracemalloc.start()
    await team()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result["team_peak_mb"] = peak / 1_048_576
    return result


async def history_bench(engine: AsyncEngine, now: datetime, customers: int) -> dict[str, float]:
    service = HistoryService(SqlUnitOfWorkFactory(engine))
    manager = _member(1, Role.MANAGER, now)
    rng = random.Random(7)
    picked = [c for c in (rng.randrange(2, customers) for _ in range(PAGES * 2)) if c % 50][:PAGES]
    ordinary = [await _timed(lambda c=c: _page(service, manager, c)) for c in picked]
    first = [await _timed(lambda: _page(service, manager, 1)) for _ in range(PAGES)]
    middle = customers + BUSY_OPERATIONS // 2
    deep = [await _timed(lambda: _page(service, manager, 1, middle)) for _ in range(PAGES)]

    async def audit() -> None:
        operations = await service.audit(1, limit=1000)
        assert len(operations) == 1000
        _ = [op.as_dict() for op in operations]

    return {
        "page_p50_ms": statistics.median(ordinary) * 1000,
        "page_p99_ms": _pct(ordinary, 0.99) * 1000,
        "busy_first_p50_ms": statistics.median(first) * 1000,
        "busy_deep_p50_ms": statistics.median(deep) * 1000,
        "audit_1000_s": await _median(audit),
    }


async def _page(service: HistoryService, reader: Member, customer_id: int, before: int | None = None) -> None:
    page(reader, await service.customer(reader, customer_id, before=before))


async def run_backend(backend: str, size: int, workdir: Path) -> dict[str, Any]:
    now = datetime.now(UTC)
    drop: Callable[[], Awaitable[None]] | None = None
    if backend == "sqlite":
        url = sqlite_url(workdir / f"bench_history_{size}.db")
    else:
        url, drop = await _postgres_database(os.environ["CHATCRM_TEST_POSTGRES_URL"])
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        await seed(engine, size, now)
        result: dict[str, Any] = {"seed_s": time.perf_counter() - started}
        result.update(await health_bench(engine, now))
        result.update(await history_bench(engine, now, size))
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
        f"{'backend':<9}{'customers':>10}{'seed s':>8}{'/health team s':>16}{'cpu s':>7}{'peak MB':>9}"
        f"{'rep s':>8}"
        f"{'page p50/p99 ms':>17}{'busy 1st/deep ms':>18}{'audit 1k s':>12}"
    )
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for size in SIZES:
                r = await run_backend(backend, size, Path(tmp))
                results[(backend, size)] = r
                print(
                    f"{backend:<9}{size:>10}{r['seed_s']:>8.1f}{r['team_s']:>16.3f}{r['team_cpu_s']:>7.3f}"
                    f"{r['team_peak_mb']:>9.1f}"
                    f"{r['rep_s']:>8.3f}{r['page_p50_ms']:>8.1f}/{r['page_p99_ms']:<8.1f}"
                    f"{r['busy_first_p50_ms']:>9.1f}/{r['busy_deep_p50_ms']:<8.1f}{r['audit_1000_s']:>12.3f}",
                    flush=True,
                )
    for backend in backends:
        small, large = results[(backend, SIZES[0])]["team_s"], results[(backend, SIZES[-1])]["team_s"]
        print(f"{backend}: /health 100k/10k time ratio {large / small:.1f} (linear would be 10)")
    worst = max(results[(b, 100_000)]["team_s"] for b in backends)
    print(f"target: /health of 100k customers well under a few seconds: worst {worst:.2f} s")


def main() -> None:
    asyncio.run(amain())


if __name__ == "__main__":
    main()
