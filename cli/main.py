"""The `jssync` command line. main() does the work and returns an exit code; script() maps
the project's exceptions to messages and exit codes (a Cloud Run Job reads only the code)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from cli import manual, readouts, service, verify
from cli.command import add_command
from cli.exits import EXIT_BUSY, EXIT_CONFIG, EXIT_FAILED, EXIT_OK
from sync import config as config_mod
from sync import logs, signals

log = logging.getLogger("jssync.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jssync",
        description="Keep Jungle Scout product and sales data fresh in staging and production PostgreSQL.",
        epilog="Example: jssync hourly --marketplace us --debug",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_command(
        sub,
        "migrate",
        cmd_migrate,
        "apply pending migrations to staging and production",
        "Apply pending migrations to staging and production. Example: jssync migrate",
    )
    add_command(
        sub,
        "hourly",
        cmd_hourly,
        "one hourly sync, run to completion",
        "One hourly sync: up to HOURLY_SYNC_ASIN_LIMIT ASINs (100, or auto), new first, then sales "
        "gaps, then stale; SIGTERM or SIGINT stops it cleanly (exit 1). "
        "Example: jssync hourly --marketplace us --debug --json",
        run_flags=True,
    )
    p = add_command(
        sub,
        "catch-up",
        cmd_catch_up,
        "apply to production what staging holds and production missed",
        "Apply every merge staging committed and production has not (every sync does this "
        "first). --full brings production level without the outbox (after staging-only runs, "
        "or a restore): migrates it, then copies every staging row of the ASINs whose checksums "
        "differ, in batches with a progress line each. Example: jssync catch-up --full --json",
    )
    p.add_argument("--json", action="store_true", help="print the status object on stdout")
    p.add_argument(
        "--full",
        action="store_true",
        help="copy whatever differs from staging (checksums), not only the pending merges",
    )
    p = add_command(
        sub,
        "render",
        cmd_render,
        "print a SQL model, query or migration as it will run",
        "Print a SQL template rendered for a target. Example: jssync render product_data --target production",
    )
    p.add_argument("model")
    p.add_argument("--target", default="staging", choices=("staging", "production"))
    p.add_argument("--prefix", help="table prefix (default: the target's *_TABLE_PREFIX, else jssync_)")
    add_command(
        sub,
        "lint",
        cmd_lint,
        "parse every rendered model and migration with sqlglot",
        "Render every SQL template for both targets and parse it with sqlglot (postgres). Example: jssync lint",
    )
    p = add_command(
        sub,
        "sandbox",
        cmd_sandbox,
        "serve the Jungle Scout sandbox API on loopback",
        "Serve a stand-in Jungle Scout API on 127.0.0.1; the first line printed is its "
        "base URL. Example: jssync sandbox --port 8765",
    )
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--rate-per-minute", type=int, default=300)
    p.add_argument("--burst-per-second", type=int, default=15)
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p = add_command(
        sub,
        "plan",
        cmd_plan,
        "what the hourly sync will do with this catalogue and budget",
        "Read the catalogue from staging and print the next run's batch, "
        "ASINs coming due per day for 30 days, projected requests per month and the "
        "threshold the budget holds. Example: jssync plan --json --simulate-days 30",
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument("--budget", type=_positive, metavar="N", help="monthly request budget to plan for")
    p.add_argument("--stale-days", type=_positive, metavar="D", help="freshness threshold in days")
    p.add_argument("--runs-per-day", type=_positive, metavar="R", help="hourly syncs a day")
    p.add_argument(
        "--simulate-days",
        type=_positive,
        metavar="N",
        help="replay the policy hour by hour for N days on a temporary copy (no API call)",
    )
    readouts.add_commands(sub)  # usage, runs, landing
    service.add_commands(sub)  # master, serve
    verify.add_commands(sub)  # verify, data-tests
    manual.add_commands(sub)  # sync --asins FILE
    return parser


def _prefix(target: str, given: str | None) -> str:
    import os

    env = {"staging": "DB_STAGING_TABLE_PREFIX", "production": "DB_PROD_TABLE_PREFIX"}[target]
    return given or os.environ.get(env) or "jssync_"


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply migrations to staging, then production (staging-only: staging alone)."""
    from loaders.migrate import migrate

    cfg = config_mod.load(needs=[config_mod.NEEDS_DB])
    logs.setup(secrets=cfg.secrets())
    for target in (cfg.staging, cfg.production):
        if target is None:
            print(f"production: not migrated; {config_mod.STAGING_ONLY}")
            continue
        result = migrate(target)
        print(
            f"{target.target}: {len(result.applied)} applied, {result.already} already applied"
            + (f" ({', '.join(result.applied)})" if result.applied else "")
        )
    return EXIT_OK


def cmd_hourly(args: argparse.Namespace) -> int:
    """Run one hourly sync; exit 0 when it completed, 1 when it stopped early."""
    from sync.hourly import run_hourly

    cfg = config_mod.load()
    logs.setup(debug=args.debug, secrets=cfg.secrets())
    with signals.handled():  # SIGTERM (Cloud Run's task timeout) and SIGINT stop the run cleanly
        status = run_hourly(cfg, args.marketplace, debug=args.debug)
    if args.json:
        print(json.dumps(status.as_dict(), indent=2))
    return EXIT_FAILED if status.stopped_early else EXIT_OK


def _positive(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a positive integer")
    return int(raw)


def cmd_plan(args: argparse.Namespace) -> int:
    """Print the plan; with --simulate-days, the simulated days too."""
    from loaders.connections import connect
    from sync import plan

    cfg = config_mod.load(needs=[config_mod.NEEDS_DB])
    logs.setup(secrets=cfg.secrets())
    cfg = plan.with_overrides(cfg, budget=args.budget, stale_days=args.stale_days, runs_per_day=args.runs_per_day)
    conn = connect(cfg.staging, application_name="jssync-plan")
    try:
        result = plan.make_plan(conn, cfg)
    finally:
        conn.close()
    if args.simulate_days:
        conn = connect(cfg.staging, application_name="jssync-plan-simulate")
        try:
            result["days"] = plan.simulate(conn, cfg, args.simulate_days)
        finally:
            conn.close()
    print(json.dumps(plan.as_json(result), indent=2) if args.json else plan.text(result))
    return EXIT_OK


def cmd_catch_up(args: argparse.Namespace) -> int:
    """Publish pending merges (--full: whatever differs); exit 0 when production is level with
    staging. Staging-only: nothing to do (exit 0), or --full refused (exit 2)."""
    from sync.catchup import run_catch_up, run_full_catch_up

    cfg = config_mod.load(needs=[config_mod.NEEDS_DB])
    logs.setup(secrets=cfg.secrets())
    if cfg.staging_only:
        if args.full:
            print(f"jssync: {config_mod.STAGING_ONLY}; set DB_PROD_* to bring production level", file=sys.stderr)
            return EXIT_CONFIG
        print(f"{config_mod.STAGING_ONLY}: nothing to catch up", file=sys.stderr)
    with signals.handled():
        status = run_full_catch_up(cfg) if args.full else run_catch_up(cfg)
    if args.json:
        print(json.dumps(status.as_dict(), indent=2))
    return EXIT_FAILED if status.stopped_early else EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    """Print one template as it will run."""
    from loaders.lint import render_for

    sys.stdout.write(render_for(args.model.removesuffix(".sql"), args.target, _prefix(args.target, args.prefix)))
    return EXIT_OK


def cmd_lint(args: argparse.Namespace) -> int:
    """Parse every rendered template; non-zero on any parse error."""
    from loaders.lint import lint

    results = lint({t: _prefix(t, None) for t in ("staging", "production")})
    failed = 0
    for result in results:
        mark = "FAIL" if result.errors else "ok  "
        note = f" ({len(result.unchecked)} statement(s) kept as raw commands)" if result.unchecked else ""
        print(f"{mark} {result.template} [{result.target}]: {result.statements} statement(s){note}")
        for error in result.errors:
            print(f"     {error}")
        failed += bool(result.errors)
    print(f"{len(results) - failed} passed, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve the sandbox in the foreground."""
    from sandbox.jungle_scout import serve  # the sandbox is a tool, never used by the sync itself

    serve(
        port=args.port,
        rate_per_minute=args.rate_per_minute,
        burst_per_second=args.burst_per_second,
        latency=args.latency,
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run the command; returns the exit code."""
    args = _parser().parse_args(argv)
    return args.handler(args)


def script() -> None:
    """Console entry point: exceptions become one clear message and an exit code."""
    from loaders.catalogue import CatalogueError
    from loaders.connections import DatabaseUnavailable
    from loaders.migrate import MigrationError
    from loaders.render import RenderError
    from sync.guard import SyncAlreadyRunning

    try:
        code = main()
    except config_mod.ConfigError as exc:
        print(f"jssync: {exc}", file=sys.stderr)
        code = EXIT_CONFIG
    except SyncAlreadyRunning as exc:
        print(f"jssync: {exc}", file=sys.stderr)
        code = EXIT_BUSY
    except (DatabaseUnavailable, MigrationError, RenderError, CatalogueError) as exc:
        print(f"jssync: {exc}", file=sys.stderr)
        code = EXIT_FAILED
    except KeyboardInterrupt:
        code = 130
    except Exception:
        # Anything unforeseen still goes through the secret filter, never a raw traceback.
        if not logs.configured():
            logs.setup(secrets=logs.env_secrets(os.environ))
        log.exception("jssync failed unexpectedly")
        code = EXIT_FAILED
    sys.exit(code)
