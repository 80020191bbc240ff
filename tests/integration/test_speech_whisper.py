"""The transcriber with the real converted Whisper base model on synthetic (espeak-ng) clips.

CER thresholds were measured on these clips (see tests/data/audio/README.md) and given a margin.
"""

from __future__ import annotations

import logging
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
from speech.text import has_loop
from speech.whisper_stt import Decoding, Transcription, WhisperTranscriber

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "tests" / "data" / "audio"
ZH = AUDIO / "zh_visit.ogg"
EN = AUDIO / "en_visit.ogg"
ZH_TEXT = (AUDIO / "zh_visit.txt").read_text(encoding="utf-8").strip()
EN_TEXT = (AUDIO / "en_visit.txt").read_text(encoding="utf-8").strip()
# Digits read fast by espeak-ng: greedy decoding runs into a loop on it (tests/data/audio/README.md).
LOOP = AUDIO / "zh_digits_fast.flac"

pytestmark = pytest.mark.slow


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate over letters and digits only (punctuation and spacing vary by decoder)."""

    def norm(text: str) -> str:
        return re.sub(r"[\W_]+", "", text).casefold()

    return Levenshtein.distance(norm(reference), norm(hypothesis)) / len(norm(reference))


def _checkpoint() -> Path:
    return ensure_checkpoint(
        Path(os.environ.get("CHATCRM_WHISPER_MODEL", ROOT / "models" / "whisper-base.pt"))
    )


@pytest.fixture(scope="session")
def transcriber() -> WhisperTranscriber:
    stt = WhisperTranscriber(_checkpoint(), threads=2)
    stt.load()
    return stt


@pytest.fixture(scope="module")
def prompted() -> WhisperTranscriber:
    """The engine as CHATCRM_WHISPER_PROMPT=true configures it (the default ignores prompts)."""
    stt = WhisperTranscriber(_checkpoint(), threads=2, decoding=Decoding(use_prompt=True))
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
    # Whisper's timestamped segments, in order, within the recording.
    _assert_in_order(result, last_within=1.0)
    assert 0 < result.stt_seconds < 30


def _assert_in_order(result: Transcription, *, last_within: float) -> None:
    """Segments follow each other through the recording, and the last one ends near its end."""
    starts = [s.start for s in result.segments]
    assert result.segments
    assert starts == sorted(starts)
    assert all(0 <= s.start < s.end <= result.audio_seconds + 0.01 for s in result.segments)
    assert result.segments[-1].end > result.audio_seconds - last_within


def test_prompt_is_ignored_by_default(transcriber: WhisperTranscriber) -> None:
    # A prompt of names cost accuracy on real recordings (evals/eval_speech.py --ablation): the
    # default engine decodes as if there were none, and names are matched after transcription.
    plain = transcriber.transcribe(ZH, language="zh")
    with_prompt = transcriber.transcribe(ZH, language="zh", prompt="王经理, 陈先生, 张小姐")
    assert with_prompt.text == plain.text
    assert "张小姐" not in plain.text


def test_prompt_spells_names_as_in_the_crm_when_configured(prompted: WhisperTranscriber) -> None:
    plain = prompted.transcribe(ZH, language="zh")
    spelled = prompted.transcribe(ZH, language="zh", prompt="王经理, 陈先生, 张小姐")
    assert "张小姐" not in plain.text
    assert "张小姐" in spelled.text
    assert cer(ZH_TEXT, spelled.text) <= 0.1  # measured 0.0


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


def test_long_note_window_by_window_with_progress(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    sentences = (AUDIO / "zh_sentences.txt").read_text(encoding="utf-8").split()[:15]
    long = tmp_path / "long.ogg"
    _espeak_note(sentences, long)  # about 70 s: three windows or more
    fractions: list[float] = []
    result = transcriber.transcribe(long, language="zh", progress=fractions.append)
    assert 60 < result.audio_seconds < 90
    _assert_in_order(result, last_within=3.0)
    assert len(result.segments) >= len(sentences) // 2  # segments are Whisper's, about a sentence each
    assert all(s.end - s.start <= 30.0 for s in result.segments)
    assert cer("".join(sentences), result.text) <= 0.4  # measured 0.25
    # One fraction per 30 s window (or less, where a window ends at its last complete sentence).
    assert len(fractions) >= 3
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


def _with_noise_between(first: Path, second: Path, out: Path, *, noise_seconds: float) -> None:
    """first, then pink noise loud enough not to count as silence by level (about -25 dBFS), then second."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(first),
         "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.1:r=16000:d={noise_seconds}:seed=7",
         "-i", str(second),
         "-filter_complex",
         "[0:a]aresample=16000,aformat=channel_layouts=mono[a0];"
         "[2:a]aresample=16000,aformat=channel_layouts=mono[a2];"
         "[a0][1:a][a2]concat=n=3:v=0:a=1",
         "-c:a", "libopus", str(out)],
        check=True,
    )  # fmt: skip


def test_noise_between_sentences_is_skipped(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    later = tmp_path / "later.wav"
    subprocess.run(
        ["espeak-ng", "-v", "cmn-latn-pinyin+f3", "-s", "130", "-w", str(later), "我们下周二去北京签合同。"],
        check=True,
    )
    note = tmp_path / "note.ogg"
    _with_noise_between(ZH, later, note, noise_seconds=40)

    result = transcriber.transcribe(note, language="zh")

    assert result.audio_seconds > 50
    # The VAD kept the two sentences and dropped the noise: one window instead of two.
    assert result.speech_seconds < 20
    assert result.segments[0].start < 1.0
    assert "负责人" in result.text
    # Nothing was made up in the noise, and the second sentence is placed after it, where it is in the
    # recording.
    assert not [s for s in result.segments if s.end > 10.0 and s.start < 45.0]
    second = [s for s in result.segments if "下周二" in s.text]
    assert second
    assert second[0].start > 45.0


def test_a_note_of_noise_only_is_refused_as_silent(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    noise = tmp_path / "noise.ogg"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "anoisesrc=color=pink:amplitude=0.1:r=16000:d=12:seed=7", "-c:a", "libopus", str(noise)],
        check=True,
    )  # fmt: skip
    with pytest.raises(AudioError) as caught:
        transcriber.transcribe(noise)
    # Loud enough to pass the level check: the VAD is what finds nothing to transcribe.
    assert caught.value.reason == "silent"
    assert "VAD" in caught.value.detail


def test_a_window_that_loops_is_decoded_again(
    transcriber: WhisperTranscriber, caplog: pytest.LogCaptureFixture
) -> None:
    greedy_only = WhisperTranscriber(
        _checkpoint(), threads=2, decoding=Decoding(rescue_beam=None, fallback=())
    )
    cut = greedy_only.transcribe(LOOP, language="zh")
    assert cut.redecoded == 0  # without fallback the loop is only cut down to one copy

    with caplog.at_level(logging.DEBUG, logger="speech.whisper_stt"):
        result = transcriber.transcribe(LOOP, language="zh")

    assert result.redecoded == 1
    messages = [r.getMessage() for r in caplog.records]
    assert any("LOOP" in m for m in messages)  # what greedy decoding gave
    assert any("(beam 5)" in m for m in messages)  # beam search is tried before any temperature
    assert result.text
    assert not has_loop(result.text)
    assert result.text != cut.text
