"""CHATCRM_WHISPER_PROMPT, _VAD and _BEAM_SIZE reach the decoder (nothing is loaded: the model is lazy)."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.speech_adapter import WhisperSpeech
from speech.whisper_stt import Decoding


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, Decoding()),
        (
            {
                "CHATCRM_WHISPER_PROMPT": "true",
                "CHATCRM_WHISPER_VAD": "false",
                "CHATCRM_WHISPER_BEAM_SIZE": "5",
            },
            Decoding(use_prompt=True, vad=False, beam_size=5),
        ),
        ({"CHATCRM_WHISPER_BEAM_SIZE": "1"}, Decoding(beam_size=None)),
    ],
)
def test_settings_reach_the_decoder(
    env: dict[str, str], expected: Decoding, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(str(tmp_path))  # no .env
    for name in ("CHATCRM_WHISPER_PROMPT", "CHATCRM_WHISPER_VAD", "CHATCRM_WHISPER_BEAM_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = WhisperSpeech.from_settings(Settings()).engine()
    assert engine.decoding == expected


def test_the_prompt_is_off_and_the_vad_on_by_default() -> None:
    assert Decoding().use_prompt is False
    assert Decoding().vad is True
    assert Decoding().beam_size is None
