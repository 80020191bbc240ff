"""AMR-NB voice notes as WeChat records them, made in the tests: Debian's ffmpeg decodes AMR but has no
AMR encoder, so speech from espeak-ng is resampled by ffmpeg to 8 kHz and encoded frame by frame with
the opencore-amrnb library (which ffmpeg's own package pulls in) through ctypes."""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
from pathlib import Path

HEADER = b"#!AMR\n"
FRAME_SAMPLES = 160  # 20 ms at 8 kHz
MR122 = 7  # 12.2 kbit/s, the mode WeChat's recorder uses


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("opencore-amrnb") or "libopencore-amrnb.so.0"
    lib = ctypes.CDLL(name)
    lib.Encoder_Interface_init.restype = ctypes.c_void_p
    lib.Encoder_Interface_init.argtypes = [ctypes.c_int]
    lib.Encoder_Interface_Encode.restype = ctypes.c_int
    lib.Encoder_Interface_Encode.argtypes = [
        ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.POINTER(ctypes.c_ubyte), ctypes.c_int
    ]  # fmt: skip
    lib.Encoder_Interface_exit.argtypes = [ctypes.c_void_p]
    return lib


def encode_pcm(pcm: bytes) -> bytes:
    """16-bit little-endian mono 8 kHz samples to an .amr file (RFC 4867 storage format)."""
    lib = _library()
    state = lib.Encoder_Interface_init(0)
    out = bytearray(HEADER)
    frame_bytes = FRAME_SAMPLES * 2
    buffer = (ctypes.c_ubyte * 64)()
    try:
        for start in range(0, len(pcm), frame_bytes):
            chunk = pcm[start : start + frame_bytes].ljust(frame_bytes, b"\0")
            samples = (ctypes.c_short * FRAME_SAMPLES).from_buffer_copy(chunk)
            size = lib.Encoder_Interface_Encode(state, MR122, samples, buffer, 0)
            out += bytes(buffer[:size])
    finally:
        lib.Encoder_Interface_exit(state)
    return bytes(out)


def speak_amr(text: str, workdir: Path, voice: str = "cmn-latn-pinyin+f3", speed: int = 145) -> bytes:
    """`text` spoken by espeak-ng, as AMR-NB bytes."""
    wav = workdir / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True, capture_output=True
    )
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(wav), "-ar", "8000", "-ac", "1", "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return encode_pcm(pcm)
