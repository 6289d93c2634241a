"""Commands of the long-running side: `jssync master` (one master sync) and `jssync serve`
(the HTTP service under gunicorn)."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from cli.command import add_command
from cli.exits import EXIT_FAILED, EXIT_OK
from sync import config as config_mod
from sync import logs, signals
from sync.master import DATE_RANGES, MODES
from sync.status import SyncStatus


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register master and serve on the `jssync` sub-command parser."""
    p = add_command(
        sub,
        "master",
        cmd_master,
        "one master sync of every visible ASIN",
        "One master sync of every visible ASIN in batches of 100. fresh resets the sync "
        "flags and fetches everything; resume continues where the last master sync stopped, "
        "even after a crash. Example: jssync master --marketplace us --date-range 1year "
        "--mode fresh",
        run_flags=True,
    )
    p.add_argument(
        "--date-range",
        choices=DATE_RANGES,
        default=None,
        help="sales range of ASINs never synced (default 1month; with resume, the range of the sync being resumed)",
    )
    p.add_argument("--mode", choices=MODES, default="fresh", help="fresh (default) or resume")
    p = add_command(
        sub,
        "serve",
        cmd_serve,
        "the HTTP service on $PORT (gunicorn)",
        "Serve the HTTP endpoints with gunicorn on 0.0.0.0:$PORT (default 8080). "
        "Example: PORT=8080 jssync serve --workers 2",
    )
    p.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--threads", type=int, default=8, help="threads per worker (default 8)")


class _ProgressBar:
    """A tqdm bar following the status the sync saves before and after every batch."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=None, unit="ASIN", desc="master sync", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, status: SyncStatus) -> None:
        if status.total_asins and self.bar.total != status.total_asins:
            self.bar.reset(total=status.total_asins)
        self.bar.n = status.total_asins_processed
        self.bar.set_postfix(
            batch=f"{status.current_batch}/{status.total_batches}",
            failed=status.failed_asins,
            api_calls=status.total_api_calls,
            refresh=False,
        )
        self.bar.refresh()
        if not status.is_running:
            self.close()  # before the run's closing log lines, which would land on the bar's line

    def close(self) -> None:
        self.bar.close()


def cmd_master(args: argparse.Namespace) -> int:
    """Run one master sync; exit 0 when it completed, 1 when it stopped early."""
    from sync.master import progress_log, run_master

    cfg = config_mod.load()
    logs.setup(debug=args.debug, secrets=cfg.secrets())
    bar = _ProgressBar() if sys.stderr.isatty() else None
    if bar is not None:
        progress_log.setLevel(logging.WARNING)  # the bar shows what the per-batch lines would
    try:
        with signals.handled():  # SIGTERM and SIGINT stop it cleanly; `--mode resume` continues it
            status = run_master(cfg, args.marketplace, date_range=args.date_range, mode=args.mode, on_progress=bar)
    finally:
        if bar is not None:
            bar.close()
            progress_log.setLevel(logging.NOTSET)
    if args.json:
        print(json.dumps(status.as_master_dict(), indent=2))
    return EXIT_FAILED if status.stopped_early else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the HTTP endpoints until stopped."""
    from api import create_app
    from api.server import serve

    cfg = config_mod.load(needs=[config_mod.NEEDS_DB, config_mod.NEEDS_API, config_mod.NEEDS_HTTP])
    logs.setup(secrets=cfg.secrets())
    serve(create_app(cfg), cfg.port, host=args.host, workers=args.workers, threads=args.threads)
    return EXIT_OK
