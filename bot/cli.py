"""The `chatcrm` command: run the assistant, migrate the database, extract facts for scripts."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot.commands import deals, extract, invite, members, records, reminders, run, territories
from bot.logs import setup_logging
from bot.settings import Settings

# Each module adds its subcommands; the order is the order of `chatcrm --help`.
COMMAND_MODULES = [run, extract, invite, members, reminders, deals, territories, records]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    settings = Settings()
    setup_logging(settings.log_level)
    try:
        code: int = args.handler(settings, args)
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatcrm",
        description="A CRM that lives in the messengers field sales already use.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser
