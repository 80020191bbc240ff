"""Routing benchmarks: the routing decision (place resolution, territory rule, member loads) p50/p99,
1,000 intake POSTs through the real HTTP endpoint (aiohttp test server, 50 at a time, each with an
Idempotency-Key and one retry in ten) on SQLite and on PostgreSQL (throughput, p50/p99, and that no lead
was lost or doubled), and the claim race: 20 reps claiming one pool lead at once, N rounds, exactly one
winner every time (PostgreSQL; CHATCRM_TEST_POSTGRES_URL as `make bench` sets it).

Targets: decision p99 < 20 ms; 1,000 form leads within a minute without losing or doubling one.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bench_deals import _postgres_database
from bot.intake import PATH, LeadIntakeApi
from chat.app import App, Ports
from crm.clock import SystemClock
from crm.errors import ChatCrmError
from crm.inputs import Newcomer
from crm.model import Channel, Member, Role
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from nlu.places import PlaceIndex
from storage import tables as t
from storage.db import create_engine, sqlite_url
from storage.files import FileSpool
from storage.tables import metadata
from storage.uow import SqlUnitOfWorkFactory

DECISIONS = 2_000
POSTS = 1_000
CONCURRENCY = 50
RACE_ROUNDS = 20
CLAIMERS = 20
TOKEN = "bench-token"
ADDRESSES = [
    "上海市浦东新区张江路88号",
    "上海徐汇区漕河泾开发区",
    "广州天河区体育西路",
    "深圳南山科技园",
    "北京朝阳区望京SOHO",
    "朝阳",
    "成都高新区天府大道",
    "杭州西湖区文三路",
    "兰州城关区",
    "New York, 5th Avenue",
]
TERRITORIES = """
[limits]
holding_cap = 100000
daily_quota = 10000
daily_claims = 10000

[[territory]]
name = "浦东"
place = "上海市浦东新区"
members = ["rep0", "rep1"]

[[territory]]
name = "上海"
place = "上海"
members = ["rep2", "rep3"]

[[territory]]
name = "华南"
region = "south"
members = ["rep4", "rep5", "rep6"]

[[territory]]
name = "华东"
region = "east"
members = ["rep7", "rep8"]
"""


_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健俊帆帅"
_WORDS = "华信达通恒泰盛鑫源宏远博创联合中科海天瑞丰安康润德新星金诚凯旋东方正大银河长城立邦鸿运晨光"
_KINDS = ("科技", "电子", "机械", "贸易", "医疗", "物流", "软件", "能源", "材料", "环保", "建设", "食品")


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))


def _company(rng: random.Random, n: int) -> str:
    """A varied company name, as real forms have (a shared prefix would make every lead a dedup
    candidate of every other)."""
    word = "".join(rng.choice(_WORDS) for _ in range(2))
    return f"{word}{rng.choice(_KINDS)}{n}有限公司"


def _ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def _schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def _team(app: App, reps: int) -> tuple[Member, list[Member]]:
    founded = await app.members.start(Newcomer(Channel.CONSOLE, "admin", "admin", "admin"), None)
    assert founded.member is not None
    admin = founded.member
    members = []
    for n in range(reps):
        invite = await app.members.invite(admin, Role.REP)
        joined = await app.members.start(Newcomer(Channel.CONSOLE, f"r{n}", f"r{n}", f"rep{n}"), invite.code)
        assert joined.member is not None
        members.append(joined.member)
    await app.pool.load(admin, admin.team_id, TERRITORIES)
    return admin, members


def _app(engine: AsyncEngine, workdir: Path, places: PlaceIndex, extractor: Extractor) -> App:
    ports = Ports(
        uow=SqlUnitOfWorkFactory(engine),
        clock=SystemClock(),
        extractor=extractor,
        normalizer=Normalizer(),
        spool=FileSpool(workdir / "spool"),
        places=places,
    )
    return App(ports)


async def decisions(app: App, team_id: int) -> dict[str, float]:
    samples: list[float] = []
    for n in range(DECISIONS):
        started = time.perf_counter()
        await app.pool.preview(team_id, ADDRESSES[n % len(ADDRESSES)])
        samples.append(time.perf_counter() - started)
    p50, p99 = _ms(samples)
    return {"p50_ms": p50, "p99_ms": p99}


async def posts(app: App, engine: AsyncEngine) -> dict[str, Any]:
    web_app = web.Application()
    LeadIntakeApi(app, TOKEN).mount(web_app)
    client: TestClient[Any, Any] = TestClient(TestServer(web_app))
    await client.start_server()
    semaphore = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []
    rng = random.Random(7)

    async def one(n: int) -> int:
        form = {
            "name": _person(rng),
            "company": _company(rng, n),
            "phone": f"139{n:08d}",
            "address": ADDRESSES[rng.randrange(len(ADDRESSES))],
            "source": "bench",
        }
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": f"bench-{n}"}
        async with semaphore:
            started = time.perf_counter()
            response = await client.post(PATH, json=form, headers=headers)
            body = await response.json()
            latencies.append(time.perf_counter() - started)
            assert response.status == 201, body
            if n % 10 == 0:  # a form that retries: the same key gives the same lead
                again = await client.post(PATH, json=form, headers=headers)
                assert (await again.json())["lead_id"] == body["lead_id"]
        lead_id: int = body["lead_id"]
        return lead_id

    started = time.perf_counter()
    ids = await asyncio.gather(*(one(n) for n in range(POSTS)))
    elapsed = time.perf_counter() - started
    await client.close()
    async with engine.connect() as conn:
        stored = (await conn.execute(select(func.count()).select_from(t.leads))).scalar_one()
    p50, p99 = _ms(latencies)
    return {
        "seconds": elapsed,
        "per_second": POSTS / elapsed,
        "p50_ms": p50,
        "p99_ms": p99,
        "distinct": len(set(ids)),
        "stored": stored,
    }


async def race(app: App, admin: Member, reps: list[Member]) -> dict[str, Any]:
    rounds_ok = 0
    for n in range(RACE_ROUNDS):
        routed = await app.intake.form(
            admin.team_id, {"name": f"李雷{n}", "phone": f"1380000{n:04d}", "address": "朝阳"}, None
        )

        async def claim(rep: Member, lead_id: int = routed.lead.id) -> bool:
            try:
                await app.pool.claim(rep, lead_id)
            except ChatCrmError:
                return False
            return True

        won = await asyncio.gather(*(claim(rep) for rep in reps[:CLAIMERS]))
        rounds_ok += sum(won) == 1
    return {"rounds": RACE_ROUNDS, "exactly_one_winner": rounds_ok}


async def run_backend(
    backend: str, workdir: Path, places: PlaceIndex, extractor: Extractor
) -> dict[str, Any]:
    drop = None
    if backend == "sqlite":
        url = sqlite_url(workdir / "routing.db")
    else:
        url, drop = await _postgres_database(os.environ["CHATCRM_TEST_POSTGRES_URL"])
    engine = create_engine(url)
    try:
        await _schema(engine)
        app = _app(engine, workdir, places, extractor)
        admin, reps = await _team(app, CLAIMERS)
        result: dict[str, Any] = {"decision": await decisions(app, admin.team_id)}
        result["posts"] = await posts(app, engine)
        if backend == "postgres":
            result["race"] = await race(app, admin, reps)
        return result
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()


async def run() -> None:
    places = PlaceIndex()
    places.warm_up()
    extractor = Extractor()
    extractor.warm_up()
    backends = ["sqlite"] + (["postgres"] if os.environ.get("CHATCRM_TEST_POSTGRES_URL") else [])
    if len(backends) == 1:
        print("CHATCRM_TEST_POSTGRES_URL not set: PostgreSQL skipped (source scripts/test-postgres)")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            result = await run_backend(backend, Path(tmp), places, extractor)
            decision, post = result["decision"], result["posts"]
            print(
                f"{backend:<9} routing decision ({DECISIONS} addresses): p50 {decision['p50_ms']:.2f} ms, "
                f"p99 {decision['p99_ms']:.2f} ms (target p99 < 20 ms)"
            )
            print(
                f"{backend:<9} {POSTS} intake POSTs, {CONCURRENCY} at a time: {post['seconds']:.1f} s, "
                f"{post['per_second']:.0f}/s, p50 {post['p50_ms']:.1f} ms, p99 {post['p99_ms']:.1f} ms; "
                f"{post['distinct']} distinct leads, {post['stored']} stored (target {POSTS}, within 60 s)"
            )
            if "race" in result:
                race_result = result["race"]
                print(
                    f"{backend:<9} claim race, {CLAIMERS} claimers x {race_result['rounds']} rounds: "
                    f"exactly one winner in {race_result['exactly_one_winner']} of {race_result['rounds']}"
                )


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
