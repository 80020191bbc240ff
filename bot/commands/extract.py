"""`chatcrm extract chat|voice|card FILE [--json]`: the facts found in a file; nothing is stored."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.commands.common import fail, print_data, read_bytes, read_text, reference_time
from bot.settings import Settings


def register(commands: Any) -> None:
    extract = commands.add_parser("extract", help="print the facts found in a file, storing nothing")
    kinds = extract.add_subparsers(title="kinds", metavar="KIND")
    chat = kinds.add_parser("chat", help="a chat transcript (text file, UTF-8)")
    chat.add_argument("file", type=Path)
    chat.add_argument("--json", action="store_true", help="print JSON")
    chat.add_argument("--now", help="resolve relative times against this ISO time (default: now)")
    chat.set_defaults(handler=_chat)
    voice = kinds.add_parser("voice", help="a voice note or audio file: transcript and visit minutes")
    voice.add_argument("file", type=Path)
    voice.add_argument("--json", action="store_true", help="print JSON")
    voice.add_argument("--now", help="resolve relative times against this ISO time (default: now)")
    voice.add_argument("--language", choices=("zh", "en"), help="the spoken language (default: detect)")
    voice.set_defaults(handler=_voice)
    card = kinds.add_parser("card", help="a business-card photo (front, and back): fields and confidences")
    card.add_argument("images", type=Path, nargs="+", metavar="IMAGE", help="the front, then the back if any")
    card.add_argument("--json", action="store_true", help="print JSON")
    card.set_defaults(handler=_card)


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from nlu.extractor import Extractor

    text = read_text(args.file, as_json=args.json)
    if text is None:
        return 1
    facts = Extractor().chat(text, reference_time(settings, args.now))
    print_data(facts.to_json(), as_json=args.json)
    return 0


def _voice(settings: Settings, args: argparse.Namespace) -> int:
    """Transcribes with the configured Whisper model (no CRM names in the prompt: nothing is read
    from the database) and prints the transcript with the minutes' facts."""

    from bot.speech_adapter import WhisperSpeech, checkpoint_exists
    from chat.errors import message
    from crm.errors import AudioRejected
    from crm.model import Lang
    from nlu.extractor import Extractor

    if not args.file.is_file():
        return fail(args.json, "cannot_read", f"cannot read {args.file}: no such file")
    if not checkpoint_exists(settings.whisper_model):
        missing = f"no Whisper checkpoint at {settings.whisper_model} (CHATCRM_WHISPER_MODEL)"
        return fail(args.json, "no_model", missing, code=2)
    now = reference_time(settings, args.now)
    speech = WhisperSpeech.from_settings(settings)
    try:
        transcript = speech.transcribe(args.file, language=args.language)
    except AudioRejected as exc:
        return fail(args.json, exc.key, message(Lang.EN, exc))
    facts = Extractor().minutes(transcript.text, now)
    data = {
        "transcript": transcript.text,
        "language": transcript.language,
        "audio_seconds": round(transcript.audio_seconds, 2),
        "stt_seconds": round(float(getattr(transcript, "stt_seconds", 0.0)), 2),
        **facts.to_json(),
    }
    print_data(data, as_json=args.json)
    return 0


def _card(settings: Settings, args: argparse.Namespace) -> int:
    """OCR (tesseract) and the card parser on one card's photos; `confidence` has every field, null
    for the ones not found. Exit 1 when a photo is refused or no card is found."""
    import sys

    from bot.card_adapter import card_reader
    from chat.errors import message
    from chat.messages import t
    from crm.cards import is_card
    from crm.errors import ImageRejected
    from crm.facts import CARD_FIELDS
    from crm.model import Lang
    from nlu.card import parse_card

    reader = card_reader(settings.max_file_mb, engine=settings.ocr_engine, workers=1)
    if reader is None:
        missing = "tesseract or its languages are missing (Debian: tesseract-ocr-chi-sim ...)"
        return fail(args.json, "no_ocr", missing, code=2)
    pages = []
    for path in args.images:
        try:
            too_large = path.stat().st_size > settings.max_file_mb * 1024 * 1024
        except OSError as exc:
            return fail(args.json, "cannot_read", f"cannot read {path}: {exc}")
        data = None if too_large else read_bytes(path, as_json=args.json)
        if data is None and not too_large:
            return 1  # read_bytes told why
        try:
            if data is None:
                raise ImageRejected("card.rejected.too_large", limit=settings.max_file_mb)
            pages.append(reader.read(data))
        except ImageRejected as exc:
            return fail(args.json, exc.key, f"{path}: {message(Lang.EN, exc)}")
    card = parse_card(pages)
    data_out = card.to_json()
    data_out["confidence"] = {name: card.confidence.get(name) for name in CARD_FIELDS}
    found = is_card(card)
    if not found and args.json:
        # what was read, and why it is no card, in the one object a script parses
        data_out = {
            "error": "card.rejected.no_card",
            "message": t(Lang.EN, "card.rejected.no_card"),
            **data_out,
        }
    print_data(data_out, as_json=args.json)
    if not found:
        if not args.json:
            print(t(Lang.EN, "card.rejected.no_card"), file=sys.stderr)
        return 1
    return 0
