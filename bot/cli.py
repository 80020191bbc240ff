"""The `chatcrm` command: run the assistant, migrate the database, extract facts for scripts."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from pydantic import ValidationError

from bot.commands import deals, extract, invite, members, records, reminders, run, sheets, territories
from bot.logs import setup_logging
from bot.settings import Settings

# Each module adds its subcommands; the order is the order of `chatcrm --help`.
COMMAND_MODULES = [run, extract, invite, members, reminders, deals, territories, sheets, records]


logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(as_json="--json" in arguments)
    args = parser.parse_args(arguments)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        settings = Settings()
    except ValidationError as exc:
        # A configuration mistake is the operator's to fix: the variable and what to do, no traceback.
        problems = [str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()]
        if "--json" in arguments:
            print(json.dumps({"error": "settings", "message": "; ".join(problems)}, ensure_ascii=False))
        else:
            print("chatcrm: configuration error:\n" + "\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 2
    setup_logging(
        log_level(settings.log_level, verbose=args.verbose, serving=getattr(args, "serving", False))
    )
    as_json = bool(getattr(args, "json", False))
    try:
        code: int = args.handler(settings, args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not as_json:
            raise
        # A script reading --json output gets an error object, not a traceback, on stdout.
        logger.debug("command failed", exc_info=True)
        print(json.dumps({"error": "failed", "message": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False))
        return 1
    return code


def log_level(configured: str | None, *, verbose: bool, serving: bool) -> str:
    """DEBUG with --verbose; else CHATCRM_LOG_LEVEL when set; else INFO for the long-running `run`
    (its start-up lines tell the operator what runs) and WARNING for one-shot commands, whose output
    is their answer."""
    if verbose:
        return "DEBUG"
    if configured:
        return configured
    return "INFO" if serving else "WARNING"


class _Parser(argparse.ArgumentParser):
    """Under --json, a usage error is a JSON error object on stdout as well (exit status 2)."""

    as_json = False

    def error(self, message: str) -> NoReturn:
        if self.as_json:
            print(json.dumps({"error": "usage", "message": message}, ensure_ascii=False))
            self.exit(2)
        super().error(message)


def _parser(*, as_json: bool = False) -> argparse.ArgumentParser:
    _Parser.as_json = as_json
    parser = _Parser(
        prog="chatcrm",
        description="A CRM that lives in the messengers field sales already use.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log everything (DEBUG), whatever CHATCRM_LOG_LEVEL says"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser
