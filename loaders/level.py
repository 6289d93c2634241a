"""Bringing production level with staging in bulk (`jssync catch-up --full`).

For a production that missed merges without an outbox to say which (it was disabled: staging-only
runs write none), or was restored from an old backup. Per table, the ASINs whose checksums differ
are found inside each database (`jssync verify`'s first two levels: buckets, then ASINs of the
differing buckets), then every staging row of those ASINs is copied to production through the
publish path the sync uses (`loaders.merge`'s production apply: input tables, then the upsert
models), one transaction per batch of about BATCH_ROWS rows. Memory stays flat: only the list of
differing ASINs (and their row counts) is held. Nothing is deleted from production.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from loaders.connections import DbSettings
from loaders.lock import LockGuard
from loaders.merge import apply_production
from loaders.verify import DEFAULT_BUCKETS, PRODUCTS, SALES, TABLES, DataTable, Reader, drifted_among

BATCH_ROWS = 50_000  # staging rows per production transaction (whole ASINs; one ASIN at least)


@dataclass
class Progress:
    """Where a bulk copy stands, after each batch (also the result)."""

    table: str = ""
    asins: int = 0  # differing ASINs of the table being copied
    asins_done: int = 0
    rows: int = 0  # rows copied so far, every table
    kept_newer: int = 0  # of those, rows production kept: another writer's copy was newer
    batches: int = 0
    seconds: float = 0.0
    tables: dict[str, dict] = field(default_factory=dict)  # per table: differing ASINs, rows copied

    @property
    def rows_per_second(self) -> int:
        return round(self.rows / self.seconds) if self.seconds else 0

    def as_dict(self) -> dict:
        return {
            "tables": {name: dict(counts) for name, counts in self.tables.items()},
            "rows": self.rows,
            "kept_newer": self.kept_newer,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "rows_per_second": self.rows_per_second,
        }


def _differing(staging: Reader, production: Reader, table: DataTable, buckets: int) -> dict[str, int]:
    """The ASINs of `table` whose per-ASIN checksums differ between the targets (buckets first,
    as `jssync verify` compares), in ASIN order, with staging's row count of each."""
    context = table.context()
    params = {"buckets": buckets, "marketplace": None}
    s_rows = staging.rows("verify_buckets", params, **context)
    p_rows = production.rows("verify_buckets", params, **context)
    s_buckets = {int(r[0]): tuple(r[1:]) for r in s_rows}
    p_buckets = {int(r[0]): tuple(r[1:]) for r in p_rows}
    ids = sorted(b for b in s_buckets.keys() | p_buckets.keys() if s_buckets.get(b) != p_buckets.get(b))
    if not ids:
        return {}
    params = {"buckets": buckets, "bucket_ids": ids, "marketplace": None}
    context["by"] = "buckets"
    s_asins = {r[0]: (int(r[1]), r[2]) for r in staging.rows("verify_asins", params, **context)}
    p_asins = {r[0]: (int(r[1]), r[2]) for r in production.rows("verify_asins", params, **context)}
    return {asin: s_asins[asin][0] for asin in sorted(s_asins) if s_asins[asin] != p_asins.get(asin)}


def _batches(rows_by_asin: dict[str, int], batch_rows: int) -> list[list[str]]:
    """Whole ASINs per batch, about `batch_rows` staging rows each (one ASIN at least)."""
    batches: list[list[str]] = []
    current: list[str] = []
    rows = 0
    for asin, count in rows_by_asin.items():
        if current and rows + count > batch_rows:
            batches.append(current)
            current, rows = [], 0
        current.append(asin)
        rows += count
    if current:
        batches.append(current)
    return batches


def _copy_batch(
    staging: Reader, production: DbSettings, table: DataTable, asins: list[str], guard: LockGuard | None = None
) -> tuple[int, int]:
    """Upsert every staging row of `asins` of one table into production, in one transaction (with
    `guard`, committed only while the run holds the sync lock); returns the rows sent and the
    rows production kept because another writer's copy was newer."""
    with tempfile.TemporaryDirectory(prefix="jssync-level-") as tmp:
        files = {t.name: Path(tmp) / f"{t.name}.csv" for t in TABLES}
        for path in files.values():
            path.touch()
        with files[table.name].open("w") as sink:
            rows = staging.copy_to("catch_up_rows", {"asins": asins}, sink, **table.context())
        kept = apply_production(production, files[PRODUCTS.name], files[SALES.name], guard)
    return rows, len(kept)


def level(
    staging_settings: DbSettings,
    production: DbSettings,
    *,
    on_batch: Callable[[Progress], None] | None = None,
    batch_rows: int = BATCH_ROWS,
    buckets: int = DEFAULT_BUCKETS,
    guard: LockGuard | None = None,
) -> Progress:
    """Copy to production every staging row of the ASINs that differ, table by table, in batches;
    `on_batch` sees the progress after each; with `guard`, each batch commits only while the run
    holds the sync lock (LockLost otherwise). Returns the final progress."""
    progress = Progress()
    clock = time.perf_counter()
    staging, checks = Reader(staging_settings), Reader(production)
    try:
        for table in TABLES:
            # Only ASINs whose rows differ, and only staging's rows: production extras stay.
            rows_by_asin = _differing(staging, checks, table, buckets)
            progress.table, progress.asins, progress.asins_done = table.name, len(rows_by_asin), 0
            counts = progress.tables[table.name] = {"asins": len(rows_by_asin), "rows": 0}
            for chunk in _batches(rows_by_asin, batch_rows):
                rows, kept = _copy_batch(staging, production, table, chunk, guard)
                counts["rows"] += rows
                progress.rows += rows
                progress.kept_newer += kept
                progress.asins_done += len(chunk)
                progress.batches += 1
                progress.seconds = time.perf_counter() - clock
                if on_batch is not None:
                    on_batch(progress)
        progress.seconds = time.perf_counter() - clock
        return progress
    finally:
        staging.close()
        checks.close()


def still_differing(staging_settings: DbSettings, production: DbSettings, buckets: int = DEFAULT_BUCKETS) -> int:
    """How many (table, ASIN) pairs still differ between the targets (0: level); an ASIN whose
    only differences are rows another writer made newer in production is level."""
    staging, checks = Reader(staging_settings), Reader(production)
    try:
        return sum(
            len(drifted_among(staging, checks, table, list(_differing(staging, checks, table, buckets))))
            for table in TABLES
        )
    finally:
        staging.close()
        checks.close()


def lint_context() -> dict[str, dict]:
    """The context `jssync lint` renders this module's query with."""
    return {"catch_up_rows": SALES.context()}
