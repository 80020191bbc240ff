"""Audio in: validate and decode any voice note with ffmpeg into 16 kHz mono float32.

Telegram voice (OGG/Opus), video notes (MP4), WeChat AMR-NB, MP3, M4A and WAV all go through ffmpeg.
"""

from __future__ import annotations

import json
import logging
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from speech.errors import AudioError

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # what Whisper's log-mel front end expects
FRAME_SECONDS = 0.02
DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # Telegram's Bot API getFile limit: nothing larger reaches us
DEFAULT_MAX_SECONDS = 600.0
# Speech frames sit around -30..-10 dBFS; a phone's room noise floor is usually below -50 dBFS.
DEFAULT_SILENCE_DB = -40.0
PROBE_TIMEOUT = 30.0
DECODE_TIMEOUT = 300.0

FloatArray = npt.NDArray[np.float32]

# What ffmpeg and ffprobe may open for a voice note. Playlists and scripts (hls, concat, sdp, …) are
# demuxers that open further files or sockets named inside the note: an .m3u8 sent as a voice note made
# ffprobe read other local files. So only the containers clients send are demuxed (each entry matches
# ffmpeg's demuxer names: "mov" is mov/mp4/m4a/3gp, "matroska" also WebM), and only from the file
# itself or a pipe.
INPUT_FORMATS = ("ogg", "mov", "matroska", "mp3", "aac", "amr", "wav", "flac", "aiff", "caf", "w64")
INPUT_OPTIONS = ("-protocol_whitelist", "file,pipe", "-format_whitelist", ",".join(INPUT_FORMATS))


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "no message"


def probe_duration(path: Path) -> float | None:
    """Duration from the container header via ffprobe (no decoding), or None if the header lacks it.

    Raises AudioError("not_audio") when ffprobe cannot parse the file or finds no audio stream.
    """
    cmd = [
        "ffprobe", "-v", "error", *INPUT_OPTIONS, "-print_format", "json",
        "-show_entries", "format=duration,format_name:stream=codec_type,codec_name,duration",
        f"file:{path}",
    ]  # fmt: skip
    try:
        # No shell; the path goes in as one argument behind the file: protocol, so it cannot be an option.
        done = subprocess.run(cmd, capture_output=True, timeout=PROBE_TIMEOUT, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise AudioError("not_audio", "ffprobe timed out") from exc
    if done.returncode != 0:
        raise AudioError("not_audio", f"ffprobe failed: {_last_line(done.stderr)}")
    info: dict[str, Any] = json.loads(done.stdout or b"{}")
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio:
        kinds = ", ".join(sorted({str(s.get("codec_name")) for s in info.get("streams", [])})) or "none"
        raise AudioError("not_audio", f"no audio stream (streams: {kinds})")
    for value in (info.get("format", {}).get("duration"), audio[0].get("duration")):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(seconds) and seconds > 0:
            return seconds
    return None


def decode(path: Path, *, max_seconds: float) -> FloatArray:
    """The first audio stream as 16 kHz mono float32 in [-1, 1], at most `max_seconds` + 1 s of it."""
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-v", "error",
        *INPUT_OPTIONS, "-i", f"file:{path}",
        "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
        # A bound on the output even when the header lied about the duration.
        "-t", f"{max_seconds + 1:.3f}",
        "-f", "f32le", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=DECODE_TIMEOUT, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise AudioError("not_audio", "ffmpeg timed out") from exc
    if done.returncode != 0:
        raise AudioError("not_audio", f"ffmpeg failed: {_last_line(done.stderr)}")
    if done.stderr:
        # Damaged frames in an otherwise playable note are common on mobile uploads: keep going.
        logger.debug("ffmpeg warnings for %s: %s", path.name, _last_line(done.stderr))
    return np.frombuffer(done.stdout, dtype=np.float32).copy()


def frame_db(samples: FloatArray, frame_seconds: float = FRAME_SECONDS) -> FloatArray:
    """RMS level of each frame in dBFS (a full-scale sine is -3 dBFS)."""
    size = max(1, round(frame_seconds * SAMPLE_RATE))
    count = len(samples) // size
    if count == 0:
        frames = np.pad(samples, (0, size - len(samples)))[None, :]
    else:
        frames = samples[: count * size].reshape(count, size)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    levels: FloatArray = (20.0 * np.log10(rms + 1e-10)).astype(np.float32)
    return levels


def is_silent(samples: FloatArray, threshold_db: float = DEFAULT_SILENCE_DB) -> bool:
    """True when no frame rises above `threshold_db`."""
    return len(samples) == 0 or float(frame_db(samples).max()) < threshold_db


def load_audio(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    silence_db: float = DEFAULT_SILENCE_DB,
) -> FloatArray:
    """Validate and decode a voice note; raises AudioError with the first reason that applies."""
    size = path.stat().st_size
    if size == 0:
        raise AudioError("empty", "the file has no bytes")
    if size > max_bytes:
        raise AudioError("too_large", f"{size} bytes > limit {max_bytes}")
    # Refuse long recordings from the header, before spending time decoding them.
    header_seconds = probe_duration(path)
    if header_seconds is not None and header_seconds > max_seconds:
        raise AudioError("too_long", f"{header_seconds:.1f} s > limit {max_seconds:.0f} s")
    samples = decode(path, max_seconds=max_seconds)
    seconds = len(samples) / SAMPLE_RATE
    if len(samples) == 0:
        raise AudioError("empty", "the audio stream decoded to no samples")
    if seconds > max_seconds:
        raise AudioError("too_long", f"more than {max_seconds:.0f} s of audio")
    if is_silent(samples, silence_db):
        raise AudioError("silent", f"no {FRAME_SECONDS * 1000:.0f} ms frame above {silence_db:.0f} dBFS")
    logger.debug("decoded %s: %.1f s", path.name, seconds)
    return samples
