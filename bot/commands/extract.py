"""`chatcrm extract chat|voice|card FILE [--json]`: the facts found in a file; nothing is stored."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.commands.common import print_data, read_text, reference_time
from bot.settings import Settings


def register(commands: Any) -> None:
    extract = commands.add_parser("extract", help="print the facts found in a file, storing nothing")
    kinds = extract.add_subparsers(title="kinds", metavar="KIND")
    chat = kinds.add_parser("chat", help="a chat transcript (text file, UTF-8)")
    chat.add_argument("file", type=Path)
    chat.add_argument("--json", action="store_true", help="print JSON")
    chat.add_argument("--now", help="resolve relative times against this ISO time (default: now)")
    chat.set_defaults(handler=_chat)


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from nlu.extractor import Extractor

    text = read_text(args.file)
    if text is None:
        return 1
    facts = Extractor().chat(text, reference_time(settings, args.now))
    print_data(facts.to_json(), as_json=args.json)
    return 0
