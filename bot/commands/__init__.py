"""Subcommands of `chatcrm`, one module each; every module has `register(subparsers)`."""
