"""Routing and pool tests: the application wired with the real place index (jionlp's gazetteer), a
recording notifier, a team with more reps, and a territory file made for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App, Ports
from crm.model import Member, Role
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from nlu.places import PlaceIndex
from reminders.leads import LeadJob
from storage.files import FileSpool
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock, person
from tests.support.deals import RecordingNotifier

PLACES = PlaceIndex()


def make_pool_app(
    engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, notifier: RecordingNotifier
) -> App:
    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(tmp_path / "spool"),
            notifier=notifier,
            places=PLACES,
        )
    )


def lead_job(app: App, notifier: RecordingNotifier, clock: FakeClock) -> LeadJob:
    return LeadJob(app.pool, app.reclaim, app.members, notifier, clock, funnels=app.deals.funnel)


@dataclass
class SalesTeam:
    """An admin, a manager and four reps: 小李 and 小王 cover Shanghai's Pudong, 小张 the rest of
    Shanghai, 小赵 South China (华南)."""

    admin: Member
    manager: Member
    li: Member
    wang: Member
    zhang: Member
    zhao: Member

    @property
    def reps(self) -> list[Member]:
        return [self.li, self.wang, self.zhang, self.zhao]


async def sales_team(app: App) -> SalesTeam:
    founded = await app.members.start(person("1", "Admin"), None)
    assert founded.member is not None
    admin = founded.member
    joined: list[Member] = []
    for external, name, role in (
        ("2", "王经理", Role.MANAGER),
        ("3", "小李", Role.REP),
        ("4", "小王", Role.REP),
        ("5", "小张", Role.REP),
        ("6", "小赵", Role.REP),
    ):
        invite = await app.members.invite(admin, role)
        member = (await app.members.start(person(external, name), invite.code)).member
        assert member is not None
        joined.append(member)
    return SalesTeam(admin, *joined)


TERRITORIES = """
default_pool = "公海"

[limits]
holding_cap = 3
daily_quota = 5
daily_claims = 2
reclaim_cooldown_days = 7

[[territory]]
name = "浦东"
place = "上海市浦东新区"
members = ["小李", "小王"]
manager = "王经理"

[[territory]]
name = "上海"
place = "上海"
members = ["小张"]

[[territory]]
name = "华南"
region = "华南"
members = ["小赵"]

[[territory]]
name = "海外"
region = "overseas"
pool = "海外公海"
"""


async def load_territories(app: App, team: SalesTeam, source: str = TERRITORIES) -> None:
    await app.pool.load(team.admin, team.admin.team_id, source)
