"""`jssync landing --archive` and `jssync landing --from-archive PATH [--since YYYY-MM-DD]`: the
landing archive (LANDING_ARCHIVE_URL) for analysts, read with DuckDB."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import duckdb

from cli.exits import EXIT_CONFIG, EXIT_FAILED, EXIT_OK
from extract.archive import Archive, ArchiveError, since_time
from extract.landing import objects
from extract.text import Scrubber
from sync import config as config_mod


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The archive's options of `jssync landing`."""
    p.add_argument(
        "--archive",
        action="store_true",
        help="print the DuckDB SQL defining the landing's tables and views over the archive (LANDING_ARCHIVE_URL)",
    )
    p.add_argument(
        "--from-archive",
        type=Path,
        metavar="PATH",
        help="build a local DuckDB file at PATH with the landing's tables and views from the archive",
    )
    p.add_argument(
        "--since",
        type=_day,
        metavar="YYYY-MM-DD",
        help="with --from-archive: only the loads landed on that day (UTC) or later",
    )


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: use YYYY-MM-DD, e.g. 2026-09-01") from None


def wanted(args: argparse.Namespace) -> bool:
    """Whether the command asks for the archive (else `jssync landing` reads the local file)."""
    return bool(args.archive or args.from_archive is not None or args.since is not None)


def run(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    """Print the archive's SQL, or build a DuckDB file from it."""
    if args.since is not None and args.from_archive is None:
        print("jssync: --since goes with --from-archive PATH", file=sys.stderr)
        return EXIT_CONFIG
    if args.archive and args.from_archive is not None:
        print("jssync: use --archive or --from-archive PATH, not both", file=sys.stderr)
        return EXIT_CONFIG
    if cfg.landing_archive is None:
        print(
            "jssync: LANDING_ARCHIVE_URL is not set (the file://, gs:// or s3:// URL the syncs archive every load to)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    scrub = Scrubber(cfg.secrets())
    try:
        archive = Archive(cfg.landing_archive, cfg.landing_dir / "pipelines")
        if args.archive:
            print(archive.duckdb_sql(), end="")
            return EXIT_OK
        return _build(archive, args.from_archive.resolve(), args.since)
    except (ArchiveError, duckdb.Error, OSError) as exc:
        print(f"jssync: {scrub(str(exc))}", file=sys.stderr)
        return EXIT_FAILED


def _build(archive: Archive, target: Path, since: dt.date | None) -> int:
    counts = archive.build_local(target, None if since is None else since_time(since))
    where = f"the archive {archive.url.public}" + (f", loads since {since.isoformat()}" if since else "")
    if not counts:
        print(f"Built {target} from {where}: no load found, so no table.")
        return EXIT_OK
    print(f"Built {target} from {where}:")
    for table, rows in counts.items():
        print(f"  landing.{table}: {rows} rows")
    with duckdb.connect(str(target), read_only=True) as con:
        views = [f"landing.{name}" for kind, name, _ in objects(con) if kind == "view"]
    if views:
        print(f"with the views {', '.join(views)}.")
    print(f"Open it with: duckdb -readonly {target}")
    return EXIT_OK
