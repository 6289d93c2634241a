"""`jssync verify` and `jssync data-tests`: prove production mirrors staging; run the SQL data tests."""

from __future__ import annotations

import argparse
import json
import sys

from cli.command import add_command
from cli.exits import EXIT_CONFIG, EXIT_FAILED, EXIT_OK
from extract.settings import MARKETPLACES
from loaders.datatests import discover, run_tests
from sync import config as config_mod
from sync import logs
from sync.verify import human, result_fields, run_verify


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `verify` and `data-tests` on the `jssync` subparsers."""
    p = add_command(
        sub,
        "verify",
        cmd_verify,
        help="prove production mirrors staging (checksums); repair it",
        description="Compare production's product and sales tables with staging's by "
        "checksums computed in each database; exit 0 in sync, 1 drift, 3 while a sync runs. "
        "Example: jssync verify --json --repair",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--repair", action="store_true", help="upsert production's missing and different rows")
    p.add_argument("--delete-extra", action="store_true", help="delete production rows staging lacks")
    p.add_argument(
        "--marketplace",
        choices=MARKETPLACES,
        default=None,
        help="compare only this marketplace's sales rows (products have no marketplace)",
    )

    p = add_command(
        sub,
        "data-tests",
        cmd_data_tests,
        help="run the SQL data tests in sql/tests/",
        description="Run each sql/tests/*.sql query (its rows are failures) per target; exit "
        "1 when an error-severity test fails. Example: jssync data-tests --target both --json",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--target", choices=("staging", "production", "both"), default="both")


def cmd_verify(args: argparse.Namespace) -> int:
    """Run a verify; exit 0 in sync (after a repair: left in sync), 1 otherwise."""
    cfg = config_mod.load(needs=[config_mod.NEEDS_DB])
    logs.setup(secrets=cfg.secrets())
    if cfg.staging_only:
        message = (
            f"{config_mod.STAGING_ONLY}: there is no production to verify. Once DB_PROD_* are set, "
            "`jssync catch-up --full` brings production level with staging"
        )
        print(json.dumps({"production": "disabled", "in_sync": None, "message": message}) if args.json else message)
        return EXIT_OK
    status = run_verify(cfg, repair=args.repair, delete_extra=args.delete_extra, marketplace=args.marketplace)
    print(json.dumps(result_fields(status), indent=2) if args.json else human(status))
    return EXIT_OK if status["in_sync"] and not status["stopped_early"] else EXIT_FAILED


def cmd_data_tests(args: argparse.Namespace) -> int:
    """Run the data tests; exit 1 when an error-severity test fails."""
    cfg = config_mod.load(needs=[config_mod.NEEDS_DB])
    logs.setup(secrets=cfg.secrets())
    tests = discover()
    if cfg.staging_only and args.target == "production":
        print(f"jssync: {config_mod.STAGING_ONLY}; run the data tests with --target staging", file=sys.stderr)
        return EXIT_CONFIG
    targets = (
        [cfg.staging, cfg.production]
        if args.target == "both"
        else [cfg.staging if args.target == "staging" else cfg.production]
    )
    if cfg.staging_only:
        targets = [cfg.staging]
        print(f"{config_mod.STAGING_ONLY}: the data tests run on staging alone", file=sys.stderr)
    results = [r for settings in targets for r in run_tests(settings, tests)]
    failed = any(not r.passed and r.severity == "error" for r in results)
    if args.json:
        print(json.dumps({"passed": not failed, "tests": [r.as_dict() for r in results]}, indent=2, default=str))
    else:
        for r in results:
            mark = "ok  " if r.passed else ("FAIL" if r.severity == "error" else "WARN")
            print(f"{mark} {r.name} [{r.target}] severity={r.severity}: {r.failures} failing rows")
            for example in r.examples:
                print(f"     {json.dumps(example, default=str)}")
        print(
            f"{sum(r.passed for r in results)} passed, "
            f"{sum(not r.passed and r.severity == 'error' for r in results)} failed, "
            f"{sum(not r.passed and r.severity == 'warn' for r in results)} warned"
        )
    return EXIT_FAILED if failed else EXIT_OK
