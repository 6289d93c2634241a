"""Commands that show what the service recorded: `jssync usage`, `jssync runs`, `jssync landing`.

They only read (staging's ledgers, the DuckDB landing file) and print plain-text tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import psycopg2
import psycopg2.errors

from cli import archive as archive_cli
from cli.exits import EXIT_FAILED, EXIT_OK
from extract.landing import FILE_NAME, LANDING_SQL, objects
from extract.retrying import polling
from loaders.connections import connection, first_line
from loaders.execute import run_model
from sync import config as config_mod
from sync import history, logs


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register usage, runs and landing on the `jssync` sub-command parser."""
    p = sub.add_parser(
        "usage",
        help="Jungle Scout requests per day, endpoint and marketplace",
        description="Print the API usage ledger kept in staging (requests, of which "
        "retries, 429 answers and errors). Example: jssync usage --days 7",
    )
    p.add_argument("--days", type=_positive, default=30, help="UTC days back, today included (default 30)")
    p.set_defaults(handler=cmd_usage)

    p = sub.add_parser(
        "runs",
        help="the latest sync runs from staging's run history",
        description="Print the latest sync runs with their outcome and counts. Example: jssync runs --last 10",
    )
    p.add_argument("--last", type=_positive, default=20, help="how many runs (default 20)")
    p.set_defaults(handler=cmd_runs)

    p = sub.add_parser(
        "landing",
        help="where the DuckDB landing file is, and how to query it",
        description="Print where the DuckDB landing file is, its tables and views, "
        "and example queries; --snapshot copies it for reading without blocking a "
        "sync; --archive prints DuckDB SQL over the archive (LANDING_ARCHIVE_URL), --from-archive "
        "builds a DuckDB file from it. Example: jssync landing --from-archive /tmp/archive.duckdb --since 2026-09-01",
    )
    p.add_argument("--snapshot", type=Path, metavar="PATH", help="write a consistent copy to PATH")
    p.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --snapshot: how long to wait for a running sync to release the file",
    )
    archive_cli.add_arguments(p)
    p.set_defaults(handler=cmd_landing)


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 100000")
    return int(text)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows as aligned text columns; numbers to the right, None as '-'."""
    cells = [[("-" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) or r[i] is None for r in rows) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])


def _staging_rows(cfg: config_mod.Config, name: str, params: dict) -> Callable:
    def rows(conn) -> list[tuple]:
        with conn, conn.cursor() as cur:
            run_model(cur, name, "staging", cfg.staging.prefix, params)
            return cur.fetchall()

    return rows


def _read(cfg: config_mod.Config, reader: Callable) -> list | None:
    """What `reader(conn)` reads from staging, or None after printing why not (e.g. not migrated yet)."""
    try:
        with connection(cfg.staging, application_name="jssync-readout") as conn:
            return reader(conn)
    except psycopg2.errors.UndefinedTable:
        print(
            f"jssync: staging ({cfg.staging.describe()}) has no such table yet: run `jssync migrate`", file=sys.stderr
        )
    except psycopg2.Error as exc:
        print(f"jssync: reading staging failed: {first_line(exc)}", file=sys.stderr)
    return None


def _readout(name: str, params: dict) -> tuple[config_mod.Config, list[tuple] | None]:
    """The configuration and the rows of staging query `name` (None: the reason is printed)."""
    cfg = config_mod.load(needs=[config_mod.NEEDS_DB])
    logs.setup(secrets=cfg.secrets())
    return cfg, _read(cfg, _staging_rows(cfg, name, params))


def cmd_usage(args: argparse.Namespace) -> int:
    """Print the usage ledger of the last --days days with totals."""
    cfg, rows = _readout("api_usage_totals", {"days": args.days})
    if rows is None:
        return EXIT_FAILED
    print(
        f"Jungle Scout API requests, last {args.days} day(s) (UTC), from staging "
        f"{cfg.staging.prefix}jssync_api_usage. Requests include retries, 429s and errors."
    )
    if not rows:
        print("No requests recorded.")
        return EXIT_OK
    body = [(day.isoformat(), market, endpoint, *counts) for day, endpoint, market, *counts in rows]
    totals = [sum(r[i] for r in rows) for i in range(3, 7)]
    body.append(("total", "", "", *totals))
    print(table(("day", "marketplace", "endpoint", "requests", "retries", "rate_limited", "errors"), body))
    return EXIT_OK


def _when(moment: dt.datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None


def cmd_runs(args: argparse.Namespace) -> int:
    """Print the latest --last runs, newest first; a run whose process died shows stopped."""
    cfg = config_mod.load(needs=[config_mod.NEEDS_DB])
    logs.setup(secrets=cfg.secrets())
    rows = _read(cfg, lambda conn: history.read(conn, cfg.staging.prefix, "recent_runs", {"last": args.last}))
    if rows is None:
        return EXIT_FAILED
    if not rows:
        print("No sync has run yet.")
        return EXIT_OK
    body = []
    for row in rows:
        started, finished = row["started_at"], row["finished_at"]
        body.append(
            (
                _when(started),
                row["kind"],
                row["marketplace"],
                row["outcome"],
                round((finished - started).total_seconds()) if finished else None,
                row["processed"],
                row["failed"],
                row["api_calls"],
                str(row["run_id"]),
                (row["stop_reason"] or "")[:60] or None,
            )
        )
    print("Sync runs, newest first (times in UTC; a run whose process died shows stopped).")
    print(
        table(
            (
                "started_at",
                "kind",
                "marketplace",
                "outcome",
                "seconds",
                "processed",
                "failed",
                "api_calls",
                "run_id",
                "stop_reason",
            ),
            body,
        )
    )
    return EXIT_OK


def _objects(file: Path) -> list[tuple] | None:
    """The landing tables and views, or None when a sync holds the file right now."""
    try:
        with duckdb.connect(str(file), read_only=True) as con:
            return objects(con)
    except duckdb.IOException:
        return None


def snapshot(source: Path, target: Path, wait: float = 60.0) -> None:
    """Copy the landing file to `target` consistently, holding it read-only only for the copy.

    Waits up to `wait` seconds while a sync holds the file; raises duckdb.IOException after."""
    lines = (LANDING_SQL / "snapshot.sql").read_text().splitlines()
    script = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
    statements = [s.strip() for s in script.split(";") if s.strip()]

    def copy() -> None:
        target.unlink(missing_ok=True)  # what a failed attempt left
        with duckdb.connect() as con:
            for statement in statements:
                params = {k: str(v) for k, v in (("source", source), ("target", target)) if f"${k}" in statement}
                con.execute(statement, params or None)

    polling(wait, 0.5, duckdb.IOException)(copy)


def cmd_landing(args: argparse.Namespace) -> int:
    """Print where the landing file is, what it holds and how to query it."""
    cfg = config_mod.load(needs=[])
    logs.setup(secrets=cfg.secrets())
    if archive_cli.wanted(args):
        return archive_cli.run(args, cfg)
    file = (cfg.landing_dir / FILE_NAME).resolve()
    print(f"Landing file: {file}")
    if cfg.landing_archive is not None:
        print(
            f"Archive: {cfg.landing_archive.public} (LANDING_ARCHIVE_URL; `jssync landing --archive` prints "
            "DuckDB SQL over it, `--from-archive PATH` builds a DuckDB file from it)"
        )
    if not file.exists():
        print("It does not exist yet: the first sync creates it (LANDING_DIR sets the directory).")
        return EXIT_OK
    if args.snapshot is not None:
        target = args.snapshot.resolve()
        try:
            snapshot(file, target, args.wait)
        except duckdb.IOException:
            print(f"jssync: a sync held the landing file for more than {args.wait:g}s; try again", file=sys.stderr)
            return EXIT_FAILED
        print(f"Snapshot written: {target}")
        print(f"Open it with: duckdb -readonly {target}")
        return EXIT_OK
    listed = _objects(file)
    if listed is None:
        print(
            "A sync is writing it right now (DuckDB allows one writer or many readers). Take a "
            "copy that does not block the sync: jssync landing --snapshot /tmp/landing.duckdb"
        )
    else:
        print(table(("type", "name", "rows (estimate)"), listed))
    print()
    print("To read it without blocking a sync, query a snapshot (the file is locked only while the copy is made):")
    print("  jssync landing --snapshot /tmp/landing.duckdb")
    print("  duckdb -readonly /tmp/landing.duckdb")
    print("or, between syncs, open it read-only directly (no sync can write it while you do):")
    print(f"  duckdb -readonly {file}")
    print()
    print("Example queries:")
    print()
    print((LANDING_SQL / "examples.sql").read_text().rstrip())
    return EXIT_OK
