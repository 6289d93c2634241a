"""`jssync sync --asins FILE`: sync the ASINs a CSV or text file lists (product and sales, or one
of them with --only), whether or not they are in the catalogue."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from cli.command import add_command
from cli.exits import EXIT_CONFIG, EXIT_FAILED, EXIT_OK
from sync import asin_file, logs, signals
from sync import config as config_mod

log = logging.getLogger("jssync.cli")
ONLY = {"product": "product", "sales": "sales"}  # --only -> the manual sync's kind (default: manual, both)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `sync` on the `jssync` sub-command parser."""
    p = add_command(
        sub,
        "sync",
        cmd_sync,
        "sync the ASINs a CSV or text file lists",
        "Sync the ASINs listed in a CSV or text file: one ASIN a line, or a CSV whose header names an "
        "`asin` column (UTF-8, a byte order mark is fine). Invalid lines are reported with their numbers; "
        "a file with no valid ASIN exits 2 and touches nothing. Product and sales data by default. "
        "Example: jssync sync --asins export.csv --only sales --json",
        run_flags=True,
    )
    p.add_argument("--asins", required=True, metavar="FILE", help="the file (- reads standard input)")
    p.add_argument("--only", choices=tuple(ONLY), default=None, help="product data only, or sales estimates only")


def cmd_sync(args: argparse.Namespace) -> int:
    """Parse the file (nothing touched when it holds no valid ASIN), then run one manual sync of
    its ASINs; exit 0 when it completed, 1 when it stopped early, 2 for a file or configuration
    that cannot be used."""
    from sync.manual import run_manual

    try:
        listed = asin_file.read(args.asins)
    except asin_file.AsinFileError as exc:
        print(f"jssync: {exc}", file=sys.stderr)
        for problem in exc.parsed.problems():
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    cfg = config_mod.load()
    logs.setup(debug=args.debug, secrets=cfg.secrets())
    log.info(
        "%s: %d ASINs (%d duplicates dropped, %d invalid lines)",
        args.asins,
        len(listed.asins),
        listed.duplicates,
        listed.bad_count,
    )
    for problem in listed.problems():
        log.warning("%s %s", args.asins, problem)
    with signals.handled():  # SIGTERM and SIGINT stop it cleanly (exit 1); what is left stays due
        status = run_manual(cfg, ONLY.get(args.only, "manual"), args.marketplace, listed.asins, debug=args.debug)
    if args.json:
        print(json.dumps({**status.as_dict(), "asin_file": listed.summary()}, indent=2))
    return EXIT_FAILED if status.stopped_early else EXIT_OK
