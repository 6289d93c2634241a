"""How a `jssync` command is declared: name, handler, help, and the options syncs share."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from extract.settings import MARKETPLACES


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    help: str,
    description: str,
    *,
    run_flags: bool = False,
) -> argparse.ArgumentParser:
    """Register command `name` (its `handler` returns the exit code); `run_flags` adds the
    --marketplace, --debug and --json options every sync command takes."""
    parser = sub.add_parser(name, help=help, description=description)
    if run_flags:
        parser.add_argument("--marketplace", default="us", choices=MARKETPLACES)
        parser.add_argument("--debug", action="store_true", help="print the step log")
        parser.add_argument("--json", action="store_true", help="print the status object on stdout")
    parser.set_defaults(handler=handler)
    return parser
