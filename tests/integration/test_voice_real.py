"""Voice notes end to end with the real Whisper base model (loaded once per session), ffmpeg and
nlu: OGG/Opus clip in, minutes on the right customer out; and `chatcrm extract voice`.

The Mandarin clip is the synthetic one of tests/data/audio (espeak-ng); without the CRM prompt (off by
default) one of its two names comes out as said. The English clip is spoken by espeak-ng here: its dates survive
transcription, so the reminders are checked on it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.speech_adapter import WhisperSpeech
from chat.app import App
from crm.inputs import ChatMessage, VoiceNote
from crm.model import Lang, ReminderKind
from crm.voice import Outcome, Step
from nlu.extractor import Extractor
from tests.conftest import FakeClock, Team
from tests.support.voice import MAX_BYTES, MODEL, ZH_CLIP, make_voice_app, spoken

pytestmark = pytest.mark.slow

EN_NOTE = (
    "I visited Acme Robotics today and met John Smith. Their budget is about fifty thousand dollars. "
    "I will send him the quote by Friday. We meet again next Wednesday at three p.m."
)


@pytest.fixture(scope="session")
def whisper() -> WhisperSpeech:
    # The same engine `chatcrm extract voice` gets in this process (one per model and settings).
    speech = WhisperSpeech(str(MODEL), max_bytes=MAX_BYTES)
    speech.load()
    return speech


@pytest.fixture(scope="module")
def en_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken(tmp_path_factory.mktemp("voice") / "en_visit.ogg", EN_NOTE)


@pytest.fixture
async def app(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, whisper: WhisperSpeech
) -> AsyncIterator[App]:
    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, whisper)
    yield app
    await app.voice.aclose()


def from_file(path: Path, key: str) -> VoiceNote:
    return VoiceNote.from_path(path, key=key)


async def test_mandarin_note_lands_on_the_customer_whose_contacts_it_names(app: App, team: Team) -> None:
    # Contacts known only as 陈先生 and 张小姐, as reps often save them.
    await app.capture.chat(
        team.rep, [ChatMessage("我是华东机电有限公司的陈先生，电话 13812345678", sender="陈先生")]
    )
    await app.capture.chat(
        team.rep, [ChatMessage("我是华东机电有限公司的张小姐，电话 13712345678", sender="张小姐")]
    )
    await app.capture.chat(team.rep, [ChatMessage("我是中兴通讯的李娜，电话 13912345678", sender="李娜")])

    result = await app.voice.process(team.rep, from_file(ZH_CLIP, "tg:1:1"))

    assert result.step is Step.MINUTES and result.minutes is not None
    minutes = result.minutes
    # No prompt by default (CHATCRM_WHISPER_PROMPT): "陈先生" is heard as said, "张小姐" is not
    # (test_speech_whisper.test_prompt_spells_names_as_in_the_crm_when_configured); one name is enough.
    assert "陈先生" in minutes.transcript
    assert minutes.outcome is Outcome.MATCHED
    assert minutes.customer is not None and minutes.customer.name == "华东机电有限公司"
    assert minutes.contact is not None and minutes.contact.name in ("陈先生", "张小姐")
    assert minutes.voice["language"] == "zh"
    assert 7.5 < minutes.voice["audio_seconds"] < 8.5


async def test_english_note_to_minutes_with_reminders(app: App, team: Team, en_clip: Path) -> None:
    rep = await app.members.set_lang(team.rep, Lang.EN)
    await app.capture.chat(
        rep,
        [
            ChatMessage(
                "Hi, I am Jane Doe from Globex Corporation, phone +86 139 1234 5678", sender="Jane Doe"
            )
        ],
    )
    await app.capture.chat(
        rep,
        [
            ChatMessage(
                "Hi, I am John Smith from Acme Robotics Ltd., my phone is +86 138 1234 5678",
                sender="John Smith",
            )
        ],
    )

    reply = await app.voice_note(rep, from_file(en_clip, "tg:1:2"))

    assert reply.text.startswith("🎙 Visit minutes\n🏢 Customer: Acme Robotics Ltd.")
    assert "👤 Contact: John Smith" in reply.text
    assert "📅 Next meeting: Wed 2 Dec 15:00" in reply.text
    minutes = await app.voice.minutes(rep, int(reply.all_buttons()[0].target))
    assert minutes.voice["language"] == "en"  # detected: English-speaking reps are not forced
    meeting = [r for r in minutes.reminders if r.kind is ReminderKind.MEETING]
    assert [r.due_at for r in meeting] == [datetime(2026, 12, 2, 6, 0, tzinfo=UTC)]  # 15:00 Shanghai less 1 h
    assert any(c.due_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC) for c in minutes.commitments)  # Friday


def test_cli_extract_voice_json(
    whisper: WhisperSpeech,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env, and nothing may be written here
    monkeypatch.setenv("CHATCRM_WHISPER_MODEL", str(MODEL))
    monkeypatch.setenv("CHATCRM_DATA_DIR", str(tmp_path / "data"))

    code = main(
        ["extract", "voice", str(ZH_CLIP), "--json", "--now", "2026-11-23T10:00:00+08:00", "--language", "zh"]
    )

    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["language"] == "zh"
    assert data["audio_seconds"] == pytest.approx(8.0, abs=0.1)
    assert data["stt_seconds"] > 0
    assert "这个项目的负责人是陈先生" in data["transcript"]
    for key in ("name", "company", "phones", "budget_cny", "timeline", "needs", "people", "reminders"):
        assert key in data  # the keys of `extract chat`
    assert isinstance(data["summary"], str) and data["summary"]
    assert data["commitments"] == [] and data["next_meeting"] is None
    # "请记得给张小姐打电话": a to-do, whatever characters the name comes out in.
    assert [todo["text"][0] + todo["text"][-3:] for todo in data["todos"]] == ["给打电话"]
    assert list(tmp_path.iterdir()) == []


def test_cli_extract_voice_refuses_silence(
    whisper: WhisperSpeech,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main
    from tests.support.voice import silence

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHATCRM_WHISPER_MODEL", str(MODEL))
    quiet = silence(tmp_path / "quiet.ogg", 3)

    assert main(["extract", "voice", str(quiet)]) == 1
    assert "I hear no speech" in capsys.readouterr().err
