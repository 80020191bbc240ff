"""Voice notes to visit minutes through the application, on a real SQLite file and the real ffprobe.

The Whisper engine is replaced by a scripted SpeechToText that returns a known transcript (the real
model is tested end to end in test_voice_real.py): the synthetic Mandarin our tests can make is too
garbled for dates, and these tests are about what the CRM does with a transcript.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.views import Act, Reply
from crm.errors import InputRejected, NotAllowed, NotFound
from crm.events import Subscriber
from crm.facts import DecisionRole, Party
from crm.inputs import ChatMessage, VoiceNote
from crm.model import (
    FollowUp,
    Identity,
    Interaction,
    Lang,
    Member,
    ReminderKind,
    ReminderStatus,
    Source,
    VoiceStatus,
)
from crm.voice import Minutes, Outcome, Step, VoiceResult, move
from nlu.extractor import Extractor
from storage import tables as t
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.conftest import FakeClock, Team, person
from tests.support.flaky import FlakyDatabase
from tests.support.voice import ZH_CLIP, ScriptedSpeech, make_voice_app, silence

VISIT = (
    "今天拜访了华为的张总，他是这个项目的拍板人。他们预算五十万左右，希望下个月上线。"
    "我周五之前把报价发给他。客户答应下周一提供需求文档。下周三下午三点再去拜访。"
)
CLIP = ZH_CLIP.read_bytes()


@pytest.fixture
def speech() -> ScriptedSpeech:
    return ScriptedSpeech()


@pytest.fixture
async def app(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, speech: ScriptedSpeech
) -> AsyncIterator[App]:
    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, speech)
    yield app
    await app.voice.aclose()


def note(data: bytes = CLIP, key: str | None = None, duration: float | None = None) -> VoiceNote:
    async def fetch() -> bytes:
        return data

    return VoiceNote(fetch=fetch, key=key, filename="voice.ogg", mime="audio/ogg", duration=duration)


async def rows(engine: AsyncEngine, table: Table) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(select(table).order_by(table.c.id))).mappings()]


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def seed(app: App, rep: Member) -> dict[str, int]:
    """Two customers of the rep, each with a contact, captured from chats."""
    ids: dict[str, int] = {}
    for key, text, sender in (
        ("zte", "我是中兴通讯的李娜，电话 13912345678", "李娜"),
        ("huawei", "我是华为技术有限公司的采购经理张伟，电话 13812345678", "张伟"),
    ):
        result = await app.capture.chat(rep, [ChatMessage(text, sender=sender, key=f"seed:{key}")])
        assert result.customer is not None
        ids[key] = result.customer.id
    return ids


async def eventually(condition: Callable[[], bool]) -> None:
    """Waits (up to 10 s) for something another task or thread does."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never came true")


def minutes_of(result: VoiceResult) -> Minutes:
    assert result.step is Step.MINUTES, result
    assert result.minutes is not None
    return result.minutes


async def test_note_becomes_minutes_on_the_existing_customer(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    ids = await seed(app, team.rep)
    speech.say(VISIT)

    minutes = minutes_of(await app.voice.process(team.rep, note(key="tg:3:10")))

    assert minutes.outcome is Outcome.MATCHED
    assert minutes.customer is not None and minutes.customer.id == ids["huawei"]
    assert minutes.contact is not None and minutes.contact.name == "张伟"
    # what the note says went onto the customer and the contact it names
    assert minutes.customer.budget_cny == 500_000
    assert minutes.customer.timeline == "下个月上线"
    assert minutes.customer.follow_up is FollowUp.MEETING
    assert minutes.contact.decision_role is DecisionRole.DECISION_MAKER
    assert [(c.party, c.due_at) for c in minutes.commitments] == [
        (Party.US, datetime(2026, 11, 27, 1, 0, tzinfo=UTC)),  # Friday 09:00 in Shanghai
        (Party.CUSTOMER, datetime(2026, 11, 30, 1, 0, tzinfo=UTC)),
    ]
    due = sorted((r.kind, r.due_at) for r in minutes.reminders)
    assert due == sorted(
        [
            (ReminderKind.COMMITMENT, datetime(2026, 11, 27, 1, 0, tzinfo=UTC)),
            (ReminderKind.FOLLOW_UP, datetime(2026, 11, 30, 1, 0, tzinfo=UTC)),
            (ReminderKind.MEETING, datetime(2026, 12, 2, 6, 0, tzinfo=UTC)),  # Wed 15:00 less an hour
        ]
    )
    assert all(r.customer_id == ids["huawei"] for r in minutes.reminders)
    # the interaction keeps the transcript, the facts and the audio file
    (interaction,) = [
        i for i in await rows(sqlite_engine, t.interactions) if i["source"] == Source.VOICE.value
    ]
    assert interaction["content"] == VISIT
    assert interaction["external_key"] == "tg:3:10"
    assert interaction["customer_id"] == ids["huawei"]
    assert interaction["voice_status"] == "done"
    (stored,) = await rows(sqlite_engine, t.files)
    assert interaction["file_id"] == stored["id"]
    assert (tmp_path / "files" / str(stored["path"])).read_bytes() == CLIP
    # the engine got the stored file, Mandarin for a Chinese-speaking rep, and the CRM's names with
    # the most recently touched customer last
    (call,) = speech.calls
    assert call.existed and call.language == "zh"
    assert call.prompt is not None
    assert call.prompt.endswith("张伟，华为技术有限公司。")
    assert "李娜" in call.prompt and "中兴通讯" in call.prompt


async def test_minutes_card_text_and_buttons(app: App, team: Team, speech: ScriptedSpeech) -> None:
    await seed(app, team.rep)
    speech.say(VISIT)

    reply = await app.voice_note(team.rep, note(key="k1"))

    lines = reply.text.splitlines()
    assert lines[0] == "🎙 拜访纪要"
    assert "🏢 客户：华为技术有限公司" in lines
    assert "👤 联系人：张伟 · 采购经理" in lines
    assert "💰 预算：50万" in lines
    assert "👥 决策链：张总（拍板人）" in lines
    assert "  • [我方] 我周五之前把报价发给他（11月27日 周五 09:00）" in lines
    assert "  • [客户] 客户答应下周一提供需求文档（11月30日 周一 09:00）" in lines
    assert "📅 下次会面：12月2日 周三 15:00" in lines
    assert "⏰ 已设提醒 3 条，最近：11月27日 周五 09:00" in lines
    assert any(line.startswith("💬 原文：今天拜访了华为的张总") for line in lines)
    assert "🎧 8 秒 · 中文" in lines
    assert [(b.act, b.arg) for b in reply.all_buttons()] == [
        (Act.MINUTES_CUSTOMER, ""),
        (Act.MINUTES_EDIT, ""),
        (Act.MINUTES_DISCARD, ""),
    ]


async def test_dictated_next_visit_sets_a_reminder_and_asks_for_the_customer(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    ids = await seed(app, team.rep)
    speech.say("下周三下午三点再去拜访")

    reply = await app.voice_note(team.rep, note(key="k1"))

    # No one is named: the minutes and the reminder are saved, and the rep is asked, the customer
    # worked on last offered first.
    assert "❓ 这是哪位客户的拜访？" in reply.text
    assert "📅 下次会面：12月2日 周三 15:00" in reply.text
    choices = [b for b in reply.all_buttons() if b.act is Act.MINUTES_CUSTOMER and b.arg]
    assert [b.arg for b in choices] == [str(ids["huawei"]), str(ids["zte"]), "new"]
    (reminder,) = await rows(sqlite_engine, t.reminders)
    assert reminder["kind"] == ReminderKind.MEETING.value
    assert reminder["due_at"] == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert reminder["customer_id"] is None

    picked = await app.press(team.rep, Act.MINUTES_CUSTOMER, choices[1].target, choices[1].arg)

    assert picked.text.startswith("🎙 拜访纪要 · 已改为「中兴通讯」")
    (reminder,) = await rows(sqlite_engine, t.reminders)
    assert reminder["customer_id"] == ids["zte"]
    assert reminder["text"] == "中兴通讯"
    customer = next(c for c in await rows(sqlite_engine, t.customers) if c["id"] == ids["zte"])
    assert customer["next_meeting"] == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


async def test_ambiguous_person_asks_then_the_customer_can_be_fixed(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    huawei = await app.capture.chat(
        team.rep, [ChatMessage("我是华为的张伟，电话 13812345678", sender="张伟")]
    )
    zte = await app.capture.chat(
        team.rep, [ChatMessage("我是中兴通讯的张强，电话 13912345678", sender="张强")]
    )
    assert huawei.customer is not None and zte.customer is not None
    speech.say("今天见了张总，他们预算八十万，我周五之前把报价发给他。")

    result = minutes_of(await app.voice.process(team.rep, note(key="k1")))

    # 张总 could be 张伟 or 张强: both are offered, nothing is put on either.
    assert result.outcome is Outcome.ASK
    assert {c.id for c in result.candidates} == {huawei.customer.id, zte.customer.id}
    assert result.customer is None
    customers = {c["id"]: c for c in await rows(sqlite_engine, t.customers)}
    assert customers[huawei.customer.id]["budget_cny"] is None

    moved = await app.voice.set_customer(team.rep, result.interaction.id, huawei.customer.id)
    assert moved.customer is not None and moved.customer.budget_cny == 800_000
    assert moved.contact is not None and moved.contact.name == "张伟"
    assert [c.customer_id for c in moved.commitments] == [huawei.customer.id]

    # The rep meant the other one: Huawei gets back what it had, ZTE gets the note.
    reply = await app.press(team.rep, Act.MINUTES_CUSTOMER, result.interaction.id, str(zte.customer.id))
    assert "已改为「中兴通讯」" in reply.text
    customers = {c["id"]: c for c in await rows(sqlite_engine, t.customers)}
    assert customers[huawei.customer.id]["budget_cny"] is None
    assert customers[zte.customer.id]["budget_cny"] == 800_000
    (commitment,) = await rows(sqlite_engine, t.commitments)
    assert commitment["customer_id"] == zte.customer.id
    (interaction,) = [i for i in await rows(sqlite_engine, t.interactions) if i["source"] == "voice"]
    assert interaction["customer_id"] == zte.customer.id
    assert interaction["contact_id"] == zte.contact.id if zte.contact else False


async def test_change_customer_button_lists_choices_and_new_customer_asks_a_name(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    ids = await seed(app, team.rep)
    speech.say(VISIT)
    minutes = minutes_of(await app.voice.process(team.rep, note(key="k1")))

    menu = await app.press(team.rep, Act.MINUTES_CUSTOMER, minutes.interaction.id, "")
    assert [b.arg for b in menu.all_buttons()] == [str(ids["zte"]), "new"]

    # The note said 华为 and was put on 华为技术, but the rep says it was someone new: the name is asked.
    asked = await app.press(team.rep, Act.MINUTES_CUSTOMER, minutes.interaction.id, "new")
    assert asked.text == "请输入新客户的名称（15 分钟内有效，发送 /cancel 取消）："
    answered = await app.text(team.rep, "华为终端有限公司")
    assert "已改为「华为终端有限公司」" in answered.text
    customers = {c["id"]: c for c in await rows(sqlite_engine, t.customers)}
    assert customers[ids["huawei"]]["budget_cny"] is None  # taken back from the customer it was on
    new = [c for c in customers.values() if c["name"] == "华为终端有限公司"]
    assert len(new) == 1 and new[0]["budget_cny"] == 500_000
    # a "new" customer the rep already has is that one, not a duplicate
    await app.press(team.rep, Act.MINUTES_CUSTOMER, minutes.interaction.id, "new")
    again = await app.text(team.rep, "中兴通讯")
    assert "已改为「中兴通讯」" in again.text
    assert await count(sqlite_engine, t.customers) == 3


async def test_a_company_named_for_the_first_time_becomes_a_new_customer_and_undo_removes_it(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    speech.say("今天拜访了美的集团的王经理，他们预算二十万。我周五之前把报价发给他。")

    minutes = minutes_of(await app.voice.process(team.rep, note(key="k1")))

    assert minutes.outcome is Outcome.CREATED
    assert minutes.customer is not None and minutes.customer.name == "美的集团"
    assert minutes.contact is not None and minutes.contact.name == "王经理"
    assert minutes.deal is not None and minutes.deal.stage == "lead"
    reply = await app.voice_note(team.rep, note(key="k1"))  # the same message again
    assert "（这条语音之前已处理过）" in reply.text
    assert "🏢 客户：美的集团（新客户）" in reply.text

    undone = await app.command(team.rep, "undo", "")

    assert "已撤销" in undone.text
    (customer,) = await rows(sqlite_engine, t.customers)
    assert customer["archived_at"] is not None
    (reminder,) = await rows(sqlite_engine, t.reminders)
    assert reminder["status"] == ReminderStatus.CANCELLED.value
    (interaction,) = await rows(sqlite_engine, t.interactions)
    assert interaction["undone_at"] is not None


async def test_undo_restores_the_existing_customer_and_contact(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    ids = await seed(app, team.rep)
    before = {c["id"]: c for c in await rows(sqlite_engine, t.customers)}[ids["huawei"]]
    speech.say(VISIT)
    await app.voice.process(team.rep, note(key="k1"))

    await app.command(team.rep, "undo", "")

    after = {c["id"]: c for c in await rows(sqlite_engine, t.customers)}[ids["huawei"]]
    assert (after["budget_cny"], after["timeline"], after["follow_up"], after["next_meeting"]) == (
        before["budget_cny"],
        before["timeline"],
        before["follow_up"],
        before["next_meeting"],
    )
    contact = next(c for c in await rows(sqlite_engine, t.contacts) if c["name"] == "张伟")
    assert contact["decision_role"] is None and contact["archived_at"] is None
    assert all(r["status"] == ReminderStatus.CANCELLED.value for r in await rows(sqlite_engine, t.reminders))


async def test_discard_cancels_reminders_and_keeps_the_recording(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    ids = await seed(app, team.rep)
    speech.say(VISIT)
    minutes = minutes_of(await app.voice.process(team.rep, note(key="k1")))

    reply = await app.press(team.rep, Act.MINUTES_DISCARD, minutes.interaction.id, "")

    assert reply.text == "🗑 纪要已删除，相关提醒已取消。录音仍然保留。"
    voice = next(i for i in await rows(sqlite_engine, t.interactions) if i["source"] == "voice")
    assert voice["undone_at"] is not None
    assert voice["voice_status"] == "discarded"
    assert all(r["status"] == ReminderStatus.CANCELLED.value for r in await rows(sqlite_engine, t.reminders))
    assert all(c["done_at"] is not None for c in await rows(sqlite_engine, t.commitments))
    huawei = {c["id"]: c for c in await rows(sqlite_engine, t.customers)}[ids["huawei"]]
    assert huawei["budget_cny"] is None
    (stored,) = await rows(sqlite_engine, t.files)
    assert (tmp_path / "files" / str(stored["path"])).is_file()
    with pytest.raises(InputRejected) as caught:
        await app.press(team.rep, Act.MINUTES_DISCARD, minutes.interaction.id, "")
    assert caught.value.key == "minutes.already_discarded"
    # /undo skips the discarded minutes and reverses the capture before them
    undone = await app.customers.undo_last_capture(team.rep)
    assert undone.interaction.source is Source.CHAT


async def test_editing_the_next_meeting_moves_its_reminder(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    await seed(app, team.rep)
    speech.say(VISIT)
    minutes = minutes_of(await app.voice.process(team.rep, note(key="k1")))

    menu = await app.press(team.rep, Act.MINUTES_EDIT, minutes.interaction.id, "")
    assert [b.arg for b in menu.all_buttons()] == ["summary", "next_meeting", "budget"]
    await app.press(team.rep, Act.MINUTES_EDIT, minutes.interaction.id, "next_meeting")
    reply = await app.text(team.rep, "12月3日下午4点")

    assert reply.text.startswith("🎙 拜访纪要 · 已更新")
    assert "📅 下次会面：12月3日 周四 16:00" in reply.text
    meetings = [r for r in await rows(sqlite_engine, t.reminders) if r["kind"] == ReminderKind.MEETING.value]
    assert sorted((r["status"], r["due_at"]) for r in meetings) == [
        (ReminderStatus.CANCELLED.value, datetime(2026, 12, 2, 6, 0, tzinfo=UTC)),
        (ReminderStatus.PENDING.value, datetime(2026, 12, 3, 7, 0, tzinfo=UTC)),
    ]
    await app.press(team.rep, Act.MINUTES_EDIT, minutes.interaction.id, "budget")
    with pytest.raises(InputRejected) as caught:
        await app.text(team.rep, "很多钱")
    assert caught.value.key == "edit.bad_budget"  # the question stays open for a better answer
    fixed = await app.text(team.rep, "60万")
    assert "💰 预算：60万" in fixed.text


async def test_transcription_failure_keeps_the_recording_and_retry_works(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(app, team.rep)
    speech.error = RuntimeError("the engine ran out of memory")

    reply = await app.voice_note(team.rep, note(key="k1"))

    assert "转写没有成功，但录音已经保存" in reply.text
    (button,) = reply.all_buttons()
    assert button.act is Act.VOICE_RETRY
    voice = next(i for i in await rows(sqlite_engine, t.interactions) if i["source"] == "voice")
    assert button.target == voice["id"]
    assert voice["voice_status"] == "failed"
    assert voice["file_id"] is not None and voice["undone_at"] is None
    assert "transcription of voice note" in caplog.text

    speech.error = None
    speech.say(VISIT)
    retried = await app.press(team.rep, Act.VOICE_RETRY, button.target, "")

    assert retried.text.startswith("🎙 拜访纪要")
    assert "华为技术有限公司" in retried.text
    assert await count(sqlite_engine, t.files) == 1
    # the same message delivered again now shows the minutes, without transcribing again
    again = await app.voice_note(team.rep, note(key="k1"))
    assert "之前已处理过" in again.text
    assert len(speech.calls) == 2


async def test_without_a_speech_engine_the_recording_is_kept(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> None:
    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, None)
    founded = await app.members.start(person("1", "Admin"), None)
    assert founded.member is not None

    reply = await app.voice_note(founded.member, note(key="k1"))

    assert "暂时不能识别语音" in reply.text
    assert reply.all_buttons()[0].act is Act.VOICE_RETRY
    assert await count(sqlite_engine, t.files) == 1


class CountingDatabase:
    """The unit-of-work factory, noting each unit of work opened (read or write)."""

    def __init__(self, inner: SqlUnitOfWorkFactory) -> None:
        self.inner = inner
        self.opened: list[str] = []

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        self.opened.append("read" if read_only else "write")
        return self.inner(read_only=read_only)

    def subscribe(self, subscriber: Subscriber) -> None:
        self.inner.subscribe(subscriber)


async def test_a_note_takes_three_units_of_work_accept_transcribe_record(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, speech: ScriptedSpeech
) -> None:
    database = CountingDatabase(SqlUnitOfWorkFactory(sqlite_engine))
    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, speech)
    app = App(dataclasses.replace(app.ports, uow=database), max_file_mb=20)
    team = (await app.members.start(person("1", "Admin"), None)).member
    assert team is not None
    await app.chat(team, [ChatMessage("华为 王经理 13812345678")])  # a customer to match against
    speech.say("今天拜访了华为的王经理，预算50万，下周三再约。")
    database.opened.clear()

    result = await app.voice.process(team, note(key="tg:1:1"))
    await app.voice.aclose()

    customer = minutes_of(result).customer
    assert customer is not None and customer.name == "华为"
    assert database.opened == ["write", "read", "write"]


@pytest.mark.parametrize(
    ("now", "to", "moved"),
    [
        (VoiceStatus.TRANSCRIBING, VoiceStatus.DONE, True),
        (VoiceStatus.TRANSCRIBING, VoiceStatus.FAILED, True),
        (VoiceStatus.FAILED, VoiceStatus.DONE, True),  # a retry that worked
        (VoiceStatus.DONE, VoiceStatus.DISCARDED, True),
        (VoiceStatus.DONE, VoiceStatus.FAILED, False),  # a late failure report keeps the minutes
        (VoiceStatus.REJECTED, VoiceStatus.DONE, False),
        (VoiceStatus.DISCARDED, VoiceStatus.DONE, False),
        (None, VoiceStatus.DISCARDED, True),  # no status: made complete by another path
    ],
)
def test_voice_notes_move_only_as_the_state_machine_allows(
    now: VoiceStatus | None, to: VoiceStatus, moved: bool
) -> None:
    interaction = Interaction(
        id=1, team_id=1, author_id=1, source=Source.VOICE, content="", facts={},
        created_at=datetime(2026, 11, 23, tzinfo=UTC), voice_status=now,
    )  # fmt: skip
    assert move(interaction, to) is moved
    assert interaction.voice_status == (to if moved else now)


async def test_same_message_twice_makes_one_interaction(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    speech.gate = threading.Event()
    speech.say("今天拜访了美的集团的王经理。")

    first = asyncio.create_task(app.voice.process(team.rep, note(key="tg:3:99")))
    await eventually(lambda: bool(speech.calls))
    second = await app.voice.process(team.rep, note(key="tg:3:99"))  # delivered again meanwhile
    speech.gate.set()
    done = await first

    assert second.step is Step.PENDING
    assert done.step is Step.MINUTES
    assert await count(sqlite_engine, t.interactions) == 1
    assert len(speech.calls) == 1
    third = await app.voice.process(team.rep, note(key="tg:3:99"))
    assert minutes_of(third).outcome is Outcome.REPEATED


async def test_notes_are_transcribed_one_at_a_time_with_status_updates(
    app: App, team: Team, speech: ScriptedSpeech
) -> None:
    speech.gate = threading.Event()
    speech.say("今天拜访了美的集团的王经理。", "今天拜访了格力电器的刘总。", "今天拜访了海尔集团的孙工。")
    shown: list[list[str]] = [[], [], []]

    def sink(i: int) -> Callable[[Reply], Awaitable[None]]:
        async def show(reply: Reply) -> None:
            shown[i].append(reply.text)

        return show

    tasks = []
    for i in range(3):
        tasks.append(
            asyncio.create_task(
                app.features.voice_notes.process(team.rep, note(key=f"k{i}", duration=45.0), sink(i))
            )
        )
        await eventually(lambda: bool(shown[len(tasks) - 1]))
    speech.gate.set()
    results = await asyncio.gather(*tasks)

    assert speech.most_at_once == 1
    assert [getattr(minutes_of(r).customer, "name", None) for r in results] == [
        "美的集团",
        "格力电器",
        "海尔集团",
    ]
    assert shown[0][0] == "🎙 正在转写… 0%"
    assert shown[1][0] == "🎙 已收到语音（45 秒），排队转写中，前面还有 1 条…"
    assert shown[2][0] == "🎙 已收到语音（45 秒），排队转写中，前面还有 2 条…"
    assert all(texts[-1] == "🧠 正在整理纪要…" for texts in shown)


async def test_short_notes_show_no_status_message(app: App, team: Team, speech: ScriptedSpeech) -> None:
    speech.say("今天拜访了美的集团的王经理。")
    shown: list[str] = []

    async def show(reply: Reply) -> None:
        shown.append(reply.text)

    await app.features.voice_notes.process(team.rep, note(key="k1", duration=6.0), show)

    assert shown == []


async def test_team_product_terms_go_into_the_prompt(app: App, team: Team, speech: ScriptedSpeech) -> None:
    await seed(app, team.rep)
    with pytest.raises(NotAllowed):  # a rep may read the terms but not set them
        await app.command(team.rep, "terms", "星云CRM")

    assert "已更新产品词表（2 个）" in (await app.command(team.manager, "terms", "星云CRM，云呼叫中心")).text
    assert "星云CRM、云呼叫中心" in (await app.command(team.rep, "terms", "")).text
    speech.say(VISIT)
    await app.voice.process(team.rep, note(key="k1"))

    (call,) = speech.calls
    assert call.prompt is not None
    assert call.prompt.startswith("星云CRM，云呼叫中心，")


async def test_manager_sees_the_reps_minutes_but_another_rep_does_not(
    app: App, team: Team, speech: ScriptedSpeech
) -> None:
    await seed(app, team.rep)
    speech.say(VISIT)
    minutes = minutes_of(await app.voice.process(team.rep, note(key="k1")))

    assert (await app.voice.minutes(team.manager, minutes.interaction.id)).customer is not None
    with pytest.raises(NotFound):
        await app.voice.minutes(team.rep2, minutes.interaction.id)
    with pytest.raises(NotFound):
        await app.press(team.rep2, Act.MINUTES_DISCARD, minutes.interaction.id, "")


# --- recordings that cannot be transcribed ---------------------------------------------------------


def png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("empty", "这条语音是空的"),
        ("corrupt", "这个文件打不开：可能已损坏，或者不是音频"),
        ("png", "这个文件打不开：可能已损坏，或者不是音频"),
        ("too_long", "语音太长了，请控制在10分钟以内"),
        ("too_large", "文件太大了（上限 20 MB）"),
    ],
)
async def test_unusable_files_are_refused_before_anything_is_stored(
    case: str,
    expected: str,
    app: App,
    team: Team,
    speech: ScriptedSpeech,
    sqlite_engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    fetched: list[bool] = []
    data = {
        "empty": b"",
        "corrupt": b"OggS" + bytes(range(256)) * 40,
        "png": png(),
        "too_long": b"",
        "too_large": b"",
    }[case]
    if case == "too_long":
        data = silence(tmp_path / "half-hour.mp3", 1800).read_bytes()  # ffmpeg's anullsrc, 30 minutes

    async def fetch() -> bytes:
        fetched.append(True)
        return data

    size = 25 * 1024 * 1024 if case == "too_large" else None
    reply = await app.voice_note(team.rep, VoiceNote(fetch=fetch, key="k1", filename="x.ogg", size=size))

    assert expected in reply.text
    assert speech.calls == []  # refused before the queue, from the header or the sizes
    assert await count(sqlite_engine, t.interactions) == 0
    assert await count(sqlite_engine, t.files) == 0
    assert fetched == ([] if case == "too_large" else [True])


async def test_a_long_recording_the_channel_announces_is_refused_before_download(
    app: App, team: Team, speech: ScriptedSpeech
) -> None:
    fetched: list[bool] = []

    async def fetch() -> bytes:
        fetched.append(True)
        return CLIP

    reply = await app.voice_note(team.rep, VoiceNote(fetch=fetch, key="k1", duration=1200.0))

    assert reply.text == "语音太长了，请控制在10分钟以内（可以分几段发送）。"
    assert fetched == []


async def test_english_speaking_rep_gets_english_refusals(app: App, team: Team) -> None:
    rep = await app.members.set_lang(team.rep, Lang.EN)

    reply = await app.voice_note(rep, note(b""))

    assert reply.text == "This voice note is empty. Please record it again."


async def test_silent_recording_is_refused_by_the_real_decoder(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> None:
    """Silence passes the header check; the engine's decoder finds no speech before loading the model."""
    from bot.speech_adapter import WhisperSpeech
    from tests.support.voice import MODEL

    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, WhisperSpeech(MODEL, max_bytes=20 << 20))
    founded = await app.members.start(person("1", "A"), None)
    assert founded.member is not None
    data = silence(tmp_path / "quiet.ogg", 5).read_bytes()

    reply = await app.voice_note(founded.member, note(data, key="k1"))
    await app.voice.aclose()

    assert reply.text == "这条语音里没有听到说话声。请靠近话筒重新录一遍。"
    # the file passed the quick checks, so it was stored; the note is marked refused, not a capture
    (interaction,) = await rows(sqlite_engine, t.interactions)
    assert interaction["voice_status"] == "rejected"
    assert interaction["undone_at"] is not None
    with pytest.raises(NotFound):
        await app.customers.undo_last_capture(founded.member)


# --- after a restart ---------------------------------------------------------------------------


@dataclass
class RecordingNotifier:
    sent: list[tuple[Identity, Reply]] = field(default_factory=list)

    async def send(self, identity: Identity, reply: Reply) -> None:
        self.sent.append((identity, reply))


async def voice_rows(engine: AsyncEngine) -> int:
    return sum(1 for i in await rows(engine, t.interactions) if i["source"] == "voice")


async def eventually_async(count: Callable[[], Awaitable[int]], expected: int) -> None:
    for _ in range(1000):
        if await count() == expected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the count never came true")


async def test_notes_a_stopped_process_left_unfinished_are_transcribed_and_sent_at_start(
    app: App,
    team: Team,
    speech: ScriptedSpeech,
    sqlite_engine: AsyncEngine,
    clock: FakeClock,
    extractor: Extractor,
    tmp_path: Path,
) -> None:
    await seed(app, team.rep)
    speech.gate = threading.Event()
    speech.say(VISIT)
    # a console note (no channel key), and one from a channel (its inbox job resumes it, elsewhere)
    stopped = [asyncio.create_task(app.voice.process(team.rep, note(key=key))) for key in (None, "tg:3:50")]
    await eventually(lambda: bool(speech.calls))  # Whisper works on one, the other waits its turn
    await eventually_async(lambda: voice_rows(sqlite_engine), 2)
    for task in stopped:
        task.cancel()  # the process stops
    for task in stopped:
        with pytest.raises(asyncio.CancelledError):
            await task
    speech.gate.set()
    await app.voice.aclose()
    voices = [i for i in await rows(sqlite_engine, t.interactions) if i["source"] == "voice"]
    assert {v["external_key"]: v["voice_status"] for v in voices} == {
        None: "transcribing",
        "tg:3:50": "transcribing",
    }

    clock.advance(minutes=5)
    fresh = ScriptedSpeech(texts=[VISIT])
    restarted = make_voice_app(sqlite_engine, clock, extractor, tmp_path, fresh)
    notifier = RecordingNotifier()
    resumed = await restarted.resume_voice_notes(notifier, ready=lambda: True)
    await restarted.voice.aclose()

    assert resumed == 1
    ((identity, reply),) = notifier.sent
    assert identity.member_id == team.rep.id
    assert reply.text.startswith("🎙 拜访纪要\n🏢 客户：华为技术有限公司")
    voices = [i for i in await rows(sqlite_engine, t.interactions) if i["source"] == "voice"]
    assert {v["external_key"]: v["voice_status"] for v in voices} == {None: "done", "tg:3:50": "transcribing"}
    # relative dates count from when the note was recorded, five minutes before the restart
    assert "📅 下次会面：12月2日 周三 15:00" in reply.text
    assert await restarted.resume_voice_notes(notifier, ready=lambda: True) == 0


async def test_voice_lookups_on_sqlite_and_postgresql(any_engine: AsyncEngine) -> None:
    """The two queries voice notes added to the interaction repository, on both databases."""
    from crm.model import Interaction, Member, Role
    from crm.model import Team as TeamRecord
    from storage.uow import SqlUnitOfWorkFactory

    uow_factory = SqlUnitOfWorkFactory(any_engine)
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    async with uow_factory() as uow:
        team = await uow.teams.add(TeamRecord(id=0, name="t", created_at=now))
        member = await uow.members.add(
            Member(
                id=0,
                team_id=team.id,
                name="m",
                role=Role.REP,
                lang=Lang.ZH,
                timezone="Asia/Shanghai",
                created_at=now,
            )
        )
        for key, source, hours, undone in (
            ("tg:1:1", Source.VOICE, 0, False),
            ("tg:1:2", Source.VOICE, -72, False),
            ("tg:1:3", Source.CHAT, 0, False),
            ("tg:1:4", Source.VOICE, 0, True),
        ):
            moment = now + timedelta(hours=hours)
            await uow.interactions.add(
                Interaction(
                    id=0,
                    team_id=team.id,
                    author_id=member.id,
                    source=source,
                    content="",
                    facts={},
                    created_at=moment,
                    external_key=key,
                    undone_at=moment if undone else None,
                )
            )
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        found = await uow.interactions.by_external_key("tg:1:2")
        missing = await uow.interactions.by_external_key("tg:9:9")
        recent = await uow.interactions.by_source_since(Source.VOICE, now - timedelta(hours=48), 10)
    assert found is not None and found.external_key == "tg:1:2" and found.source is Source.VOICE
    assert missing is None
    assert [i.external_key for i in recent] == ["tg:1:1"]


async def test_a_note_that_arrives_while_the_database_is_down_is_kept_on_disk_for_a_retry(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, speech: ScriptedSpeech
) -> None:
    database = FlakyDatabase(SqlUnitOfWorkFactory(sqlite_engine))
    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, speech)
    app = App(dataclasses.replace(app.ports, uow=database), max_file_mb=20)
    founded = await app.members.start(person("1", "Admin"), None)
    assert founded.member is not None
    speech.say("今天拜访了美的集团的王经理。")
    database.down = True

    reply = await app.voice_note(founded.member, note(key="tg:1:5"))

    assert reply.text.startswith("⚠️ 暂时无法保存（数据库繁忙）。录音已保留在服务器上")
    (button,) = reply.all_buttons()
    assert (button.act, button.target) == (Act.VOICE_RETRY, 0) and button.arg
    assert [p.read_bytes() for p in (tmp_path / "files").rglob("*.ogg")] == [CLIP]
    assert speech.calls == []

    database.down = False
    retried = await app.press(founded.member, button.act, button.target, button.arg)
    await app.voice.aclose()

    assert retried.text.startswith("🎙 拜访纪要\n🏢 客户：美的集团（新客户）")
    (interaction,) = await rows(sqlite_engine, t.interactions)
    assert interaction["external_key"] == "tg:1:5"
    with pytest.raises(NotFound):  # the kept input is gone once stored
        await app.press(founded.member, button.act, button.target, button.arg)


async def test_a_name_the_transcript_spells_with_other_characters_of_its_sound_is_the_crm_contact(
    app: App, team: Team, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    zte = await app.capture.chat(
        team.rep, [ChatMessage("我是中兴通讯的王小明，电话 13912345678", sender="王小明")]
    )
    await app.capture.chat(team.rep, [ChatMessage("我是华为的张伟，电话 13812345678", sender="张伟")])
    assert zte.customer is not None and zte.contact is not None
    # The speech model heard 王小明 and wrote 王晓明; the customer captured last is Huawei.
    speech.say("今天见了王晓明，他们预算八十万，我明天给他打电话。")

    minutes = minutes_of(await app.voice.process(team.rep, note(key="k-sound")))

    assert minutes.outcome is Outcome.MATCHED
    assert minutes.customer is not None and minutes.customer.id == zte.customer.id
    assert minutes.contact is not None and minutes.contact.id == zte.contact.id
    assert [c["name"] for c in await rows(sqlite_engine, t.contacts)] == ["王小明", "张伟"]
    # "我明天给他打电话" is the rep's to-do for tomorrow morning, not a meeting with him.
    assert [(r.kind, r.text, r.due_at) for r in minutes.reminders] == [
        (ReminderKind.TODO, "给他打电话", datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    ]


async def test_a_two_character_name_that_only_sounds_right_is_offered_not_taken(
    app: App, team: Team, speech: ScriptedSpeech
) -> None:
    zte = await app.capture.chat(
        team.rep, [ChatMessage("我是中兴通讯的李娜，电话 13912345678", sender="李娜")]
    )
    huawei = await app.capture.chat(
        team.rep, [ChatMessage("我是华为的张伟，电话 13812345678", sender="张伟")]
    )
    assert zte.customer is not None and huawei.customer is not None
    speech.say("今天见了李纳，他们想下个月上线。")

    minutes = minutes_of(await app.voice.process(team.rep, note(key="k-short")))

    # Many people share the sound of a two-character name: the rep is asked, the one it sounds
    # like first, ahead of the customer captured last.
    assert minutes.outcome is Outcome.ASK
    assert [c.id for c in minutes.candidates][:2] == [zte.customer.id, huawei.customer.id]
