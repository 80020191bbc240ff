"""Audio in with the real ffmpeg: every container reps send, and each reason to refuse a file."""

from __future__ import annotations

import subprocess
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, load_audio, probe_duration
from speech.errors import AudioError

CLIP = Path(__file__).resolve().parents[1] / "data" / "audio" / "zh_visit.ogg"
CLIP_SECONDS = 8.0


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return load_audio(CLIP)


def _make(fmt: str, tmp_path: Path) -> Path:
    """The test clip re-encoded the way each client sends it."""
    if fmt == "amr":
        # WeChat voice: AMR-NB, 8 kHz. Debian's ffmpeg has no AMR encoder; sox has (opencore-amr).
        wav = tmp_path / "8k.wav"
        _ffmpeg("-i", str(CLIP), "-ar", "8000", "-ac", "1", str(wav))
        out = tmp_path / "voice.amr"
        subprocess.run(["sox", str(wav), "-t", "amr-nb", "-C", "7", str(out)], check=True)
        return out
    encodings = {
        "ogg": ("voice.ogg", ["-c:a", "libopus", "-b:a", "32k"]),  # Telegram voice note
        "mp3": ("voice.mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
        "m4a": ("voice.m4a", ["-c:a", "aac", "-b:a", "64k"]),
        "wav": ("voice.wav", ["-c:a", "pcm_s16le", "-ar", "44100", "-ac", "2"]),
    }
    if fmt == "mp4":
        # Telegram video note: H.264 video with AAC audio in MP4.
        out = tmp_path / "note.mp4"
        _ffmpeg(
            "-f", "lavfi", "-i", "color=c=blue:s=240x240:r=15", "-i", str(CLIP),
            "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(out),
        )  # fmt: skip
        return out
    name, options = encodings[fmt]
    out = tmp_path / name
    _ffmpeg("-i", str(CLIP), *options, str(out))
    return out


@pytest.mark.parametrize("fmt", ["ogg", "amr", "mp3", "m4a", "mp4", "wav"])
def test_decodes_every_format(fmt: str, tmp_path: Path, reference: np.ndarray) -> None:
    samples = load_audio(_make(fmt, tmp_path))
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert abs(len(samples) / SAMPLE_RATE - CLIP_SECONDS) < 0.5  # AMR's 20 ms frames drop the tail
    assert 0.01 < float(np.abs(samples).max()) <= 1.0
    # The same speech: the loudness envelopes (100 ms) line up with the original's over the first
    # sentence (AMR's silence frames shorten the pause after it).
    n = 35 * 1600
    env = np.abs(samples[:n]).reshape(-1, 1600).mean(axis=1)
    ref = np.abs(reference[:n]).reshape(-1, 1600).mean(axis=1)
    assert float(np.corrcoef(env, ref)[0, 1]) > 0.8


def _reason(path: Path, *, max_bytes: int = 20_000_000, max_seconds: float = 600.0) -> str:
    with pytest.raises(AudioError) as caught:
        load_audio(path, max_bytes=max_bytes, max_seconds=max_seconds)
    return caught.value.reason


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "voice.ogg"
    path.write_bytes(b"")
    assert _reason(path) == "empty"


def test_too_large(tmp_path: Path) -> None:
    assert _reason(CLIP, max_bytes=1000) == "too_large"


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "voice.ogg"
    path.write_bytes(np.random.default_rng(1).bytes(20_000))
    assert _reason(path) == "not_audio"


def _png(width: int = 4, height: int = 4) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    rows = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_png_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "voice.ogg"  # a wrong extension must not fool us
    path.write_bytes(_png())
    with pytest.raises(AudioError) as caught:
        load_audio(path)
    assert caught.value.reason == "not_audio"
    # The image demuxer is not on the allow-list: refused before any stream is looked at.
    assert "ffprobe failed" in caught.value.detail


def test_video_without_sound_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "note.mp4"
    _ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64:r=5:d=1", "-c:v", "libx264", str(path))
    with pytest.raises(AudioError) as caught:
        load_audio(path)
    assert caught.value.reason == "not_audio"
    assert "no audio stream" in caught.value.detail


def test_truncated_ogg_decodes_what_is_there_or_refuses(tmp_path: Path) -> None:
    path = tmp_path / "cut.ogg"
    path.write_bytes(CLIP.read_bytes()[:200])  # the headers and hardly any audio
    with pytest.raises(AudioError) as caught:
        load_audio(path)
    assert caught.value.reason in {"not_audio", "empty", "silent"}


def test_thirty_minutes_refused_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "1800", "-c:a", "pcm_u8", str(path))
    started = time.perf_counter()
    with pytest.raises(AudioError) as caught:
        load_audio(path, max_bytes=50_000_000)
    assert caught.value.reason == "too_long"
    assert time.perf_counter() - started < 2.0  # ffprobe reads the header; nothing is decoded
    assert probe_duration(path) == pytest.approx(1800, abs=1)


def test_duration_limit_is_a_parameter(tmp_path: Path) -> None:
    assert _reason(CLIP, max_seconds=5.0) == "too_long"


def test_five_seconds_of_silence(tmp_path: Path) -> None:
    path = tmp_path / "silence.ogg"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "5", "-c:a", "libopus", str(path))
    assert _reason(path) == "silent"


def test_faint_noise_is_silent_but_speech_is_not(tmp_path: Path) -> None:
    path = tmp_path / "hiss.wav"
    _ffmpeg("-f", "lavfi", "-i", "anoisesrc=a=0.003:r=16000", "-t", "3", str(path))
    assert _reason(path) == "silent"
    assert len(load_audio(CLIP)) > 0


def _playlist(tmp_path: Path, target: Path) -> Path:
    # An HLS playlist saved as a voice note: the hls demuxer opens the files it lists, so a note
    # could make ffprobe and ffmpeg read (and transcribe) any local file the bot can read.
    path = tmp_path / "voice.ogg"
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:8,\n{target}\n#EXT-X-ENDLIST\n")
    return path


def _concat_list(tmp_path: Path, target: Path) -> Path:
    # ffmpeg's concat demuxer script does the same with "file" lines.
    path = tmp_path / "voice.m4a"
    path.write_text(f"ffconcat version 1.0\nfile '{target}'\n")
    return path


def _sdp(tmp_path: Path, target: Path) -> Path:
    # A session description would make ffmpeg listen on a UDP port (protocols beyond file:).
    path = tmp_path / "voice.amr"
    path.write_text(
        "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 96\n"
    )
    return path


@pytest.mark.parametrize("make", [_playlist, _concat_list, _sdp])
def test_a_note_that_points_at_other_files_is_refused(make: object, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.ogg"
    secret.parent.mkdir()
    secret.write_bytes(CLIP.read_bytes())
    note = make(tmp_path, secret)  # type: ignore[operator]
    with pytest.raises(AudioError) as caught:
        load_audio(note)
    assert caught.value.reason == "not_audio"
    with pytest.raises(AudioError):
        probe_duration(note)
