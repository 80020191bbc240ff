"""The transcriber with the real converted Whisper base model on synthetic (espeak-ng) clips.

CER thresholds were measured on these clips (see tests/data/audio/README.md) and given a margin.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import opencc
import pytest
from rapidfuzz.distance import Levenshtein

from crm.ports import SpeechToText, Transcript
from speech.convert import ensure_checkpoint
from speech.errors import AudioError, ModelNotFoundError
from speech.whisper_stt import Transcription, WhisperTranscriber

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "tests" / "data" / "audio"
ZH = AUDIO / "zh_visit.ogg"
EN = AUDIO / "en_visit.ogg"
ZH_TEXT = (AUDIO / "zh_visit.txt").read_text(encoding="utf-8").strip()
EN_TEXT = (AUDIO / "en_visit.txt").read_text(encoding="utf-8").strip()

pytestmark = pytest.mark.slow


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate over letters and digits only (punctuation and spacing vary by decoder)."""

    def norm(text: str) -> str:
        return re.sub(r"[\W_]+", "", text).casefold()

    return Levenshtein.distance(norm(reference), norm(hypothesis)) / len(norm(reference))


@pytest.fixture(scope="session")
def transcriber() -> WhisperTranscriber:
    checkpoint = ensure_checkpoint(
        Path(os.environ.get("CHATCRM_WHISPER_MODEL", ROOT / "models" / "whisper-base.pt"))
    )
    stt = WhisperTranscriber(checkpoint, threads=2)
    stt.load()
    return stt


def test_satisfies_the_port(transcriber: WhisperTranscriber) -> None:
    port: SpeechToText = transcriber
    result = port.transcribe(ZH, language="zh")
    transcript: Transcript = result
    assert transcript.audio_seconds == pytest.approx(8.0, abs=0.1)


def test_mandarin_is_simplified_and_close(transcriber: WhisperTranscriber) -> None:
    result = transcriber.transcribe(ZH)
    assert isinstance(result, Transcription)
    assert result.language == "zh"  # detected
    # Whisper base writes Mandarin in traditional characters about half the time.
    assert result.text == opencc.OpenCC("t2s").convert(result.text)
    assert "这个项目的负责人是陈先生" in result.text
    assert cer(ZH_TEXT, result.text) <= 0.35  # measured 0.23
    assert result.segments
    assert result.segments[0].start == 0.0
    assert result.segments[-1].end == pytest.approx(result.audio_seconds)
    assert 0 < result.stt_seconds < 30


def test_prompt_spells_names_as_in_the_crm(transcriber: WhisperTranscriber) -> None:
    plain = transcriber.transcribe(ZH, language="zh")
    prompted = transcriber.transcribe(ZH, language="zh", prompt="王经理, 陈先生, 张小姐")
    assert "张小姐" not in plain.text
    assert "张小姐" in prompted.text
    assert cer(ZH_TEXT, prompted.text) <= 0.1  # measured 0.0


def test_english(transcriber: WhisperTranscriber) -> None:
    result = transcriber.transcribe(EN)
    assert result.language == "en"
    assert "purchasing manager this afternoon" in result.text
    assert cer(EN_TEXT, result.text) <= 0.35  # measured 0.2


def _espeak_note(sentences: list[str], out: Path) -> None:
    """Sentences spoken by espeak-ng (Mandarin, pinyin voice) with 0.5 s pauses, as OGG/Opus."""
    parts = []
    for i, sentence in enumerate(sentences):
        wav = out.with_name(f"s{i}.wav")
        subprocess.run(
            ["espeak-ng", "-v", "cmn-latn-pinyin+f3", "-s", "130", "-w", str(wav), sentence], check=True
        )
        parts.append(wav)
    inputs = [arg for wav in parts for arg in ("-i", str(wav))]
    graph = "".join(f"[{i}:a]apad=pad_dur=0.5[a{i}];" for i in range(len(parts)))
    graph += "".join(f"[a{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", *inputs, "-filter_complex", graph, "-ar", "16000",
         "-c:a", "libopus", str(out)],
        check=True,
    )  # fmt: skip


def test_long_note_in_chunks_with_progress(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    sentences = (AUDIO / "zh_sentences.txt").read_text(encoding="utf-8").split()[:15]
    long = tmp_path / "long.ogg"
    _espeak_note(sentences, long)  # about 70 s: three chunks
    fractions: list[float] = []
    result = transcriber.transcribe(long, language="zh", progress=fractions.append)
    assert 60 < result.audio_seconds < 90
    assert len(result.segments) == 3
    assert all(s.end - s.start <= 30.0 for s in result.segments)
    assert result.segments[-1].end == pytest.approx(result.audio_seconds)
    assert cer("".join(sentences), result.text) <= 0.4  # measured 0.25
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert all(0 < f <= 1 for f in fractions)


def test_runs_in_a_worker_thread(transcriber: WhisperTranscriber) -> None:
    here = transcriber.transcribe(ZH, language="zh").text
    names: list[str] = []

    def work() -> str:
        names.append(threading.current_thread().name)
        return transcriber.transcribe(ZH, language="zh").text

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt") as pool:
        there = pool.submit(work).result()
    assert names[0].startswith("stt")
    assert there == here


def test_prompt_is_cut_from_the_front(transcriber: WhisperTranscriber) -> None:
    names = [f"客户{i}号公司" for i in range(300)]
    tokens = transcriber.prompt_tokens("，".join(names))
    assert 200 < len(tokens) <= 223  # Whisper keeps 223 prompt tokens after <|startofprev|>
    assert transcriber.prompt_tokens("") == []
    short = transcriber.prompt_tokens("王经理, 陈先生")
    assert 0 < len(short) < 20


def test_refusals_come_through(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    silence = tmp_path / "silence.ogg"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "5",
         "-c:a", "libopus", str(silence)],
        check=True,
    )  # fmt: skip
    with pytest.raises(AudioError) as caught:
        transcriber.transcribe(silence)
    assert caught.value.reason == "silent"


def test_never_downloads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(ModelNotFoundError):
        WhisperTranscriber("base").load()
    with pytest.raises(ModelNotFoundError):
        WhisperTranscriber(tmp_path / "missing.pt").load()
