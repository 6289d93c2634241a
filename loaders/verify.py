"""Comparing production with staging, pt-table-checksum style, and repairing production.

Checksums are computed inside each database: first one per bucket of ASINs (a few thousand small
rows per table), then one per ASIN of the buckets that differ, then one per row of the ASINs that
differ, and only the rows found to differ are read whole. The traffic grows with the drift, not
with the table. Every read is a COPY, so the bytes received are counted exactly.
A repair reads staging's rows of the missing and different keys and upserts them into production
through the publish path the sync uses (`loaders.merge`'s production apply: input tables, then
the product_data and sales_estimate_data models), one transaction per batch.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from loaders.connections import DbSettings, connect, connection
from loaders.execute import copy_out, in_transaction, run_model
from loaders.lock import LockGuard
from loaders.merge import PRODUCT_INPUT, SALES_INPUT, _apply_production
from loaders.render import render

DEFAULT_BUCKETS = 4096  # buckets of ASINs per table: level-1 traffic is this many small rows
ASIN_CHUNK = 2000  # ASINs per level-3 read
KEY_CHUNK = 5000  # keys per level-4 read, per repair transaction, per delete transaction


@dataclass(frozen=True)
class DataTable:
    """A table production mirrors: its unprefixed name, key (column -> SQL type) and columns."""

    name: str
    key: dict[str, str]
    columns: tuple[str, ...]
    by_marketplace: bool

    def context(self) -> dict:
        return {
            "data_table": self.name,
            "columns": list(self.columns),
            "key": dict(self.key),
            "by_marketplace": self.by_marketplace,
        }


# Every column the service writes, in the order production's input tables take them.
PRODUCTS = DataTable(
    "jungle_scout_product_data", {"asin": "text", "report_date": "date"}, (*PRODUCT_INPUT, "created_at"), False
)
SALES = DataTable(
    "jungle_scout_sales_estimate_data",
    {"asin": "text", "marketplace": "text", "date": "date"},
    (*SALES_INPUT, "updated_at", "created_at"),
    True,
)
TABLES = (PRODUCTS, SALES)
KINDS = ("missing", "extra", "different")


class Reader:
    """One target's connection for reads; each read is a COPY whose bytes are counted."""

    def __init__(self, settings: DbSettings):
        self.settings = settings
        self.conn = connect(settings, application_name="jssync-verify")
        self.bytes_read = 0

    def rows(self, name: str, params: dict, **context: object) -> list[list[str]]:
        """The CSV rows of query `name` rendered for this target."""
        buffer = io.StringIO()
        with self.conn, self.conn.cursor() as cur:
            copy_out(cur, render(name, self.settings.target, self.settings.prefix, **context), params, buffer)
        text = buffer.getvalue()
        self.bytes_read += len(text.encode())
        return list(csv.reader(io.StringIO(text)))

    def copy_to(self, name: str, params: dict, sink: io.TextIOBase, **context: object) -> int:
        """COPY the rows of query `name` to `sink`; returns the row count (bytes are counted)."""
        with self.conn, self.conn.cursor() as cur:
            count = copy_out(cur, render(name, self.settings.target, self.settings.prefix, **context), params, sink)
        self.bytes_read += sink.tell()
        return count

    def close(self) -> None:
        self.conn.close()


@dataclass
class TableDrift:
    """What differs in one table: keys by kind, differing columns by ASIN, counts compared."""

    table: DataTable
    rows: int = 0
    asins: int = 0
    keys: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    columns: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    buckets_differing: int = 0

    def entries(self) -> list[dict]:
        """One entry per (ASIN, kind): rows affected and, for `different`, the columns."""
        counted: dict[tuple[str, str], int] = defaultdict(int)
        for kind, keys in self.keys.items():
            for key in keys:
                counted[(key[0], kind)] += 1
        return [
            {
                "table": self.table.name,
                "asin": asin,
                "kind": kind,
                "rows": rows,
                "columns": sorted(self.columns.get(asin, ())) if kind == "different" else [],
            }
            for (asin, kind), rows in sorted(counted.items(), key=lambda i: (i[0][0], KINDS.index(i[0][1])))
        ]


def _both(staging: Reader, production: Reader, read: Callable[[Reader], list]) -> tuple[list, list]:
    # Each target computes its checksums at the same time: the verify takes the slower of the two.
    with ThreadPoolExecutor(max_workers=2) as pool:
        s, p = pool.submit(read, staging), pool.submit(read, production)
        return s.result(), p.result()


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _keys_json(table: DataTable, keys: list[tuple[str, ...]]) -> str:
    return json.dumps([dict(zip(table.key, key, strict=True)) for key in keys])


def compare_table(
    staging: Reader,
    production: Reader,
    table: DataTable,
    *,
    buckets: int = DEFAULT_BUCKETS,
    marketplace: str | None = None,
) -> TableDrift:
    """Compare one table level by level; only what differs is drilled into."""
    context = table.context()
    drift = TableDrift(table)
    params = {"buckets": buckets, "marketplace": marketplace}
    s_rows, p_rows = _both(staging, production, lambda r: r.rows("verify_buckets", params, **context))
    s_buckets = {int(r[0]): (r[1], r[2], r[3]) for r in s_rows}
    p_buckets = {int(r[0]): (r[1], r[2], r[3]) for r in p_rows}
    drift.rows = sum(int(v[0]) for v in s_buckets.values())
    drift.asins = sum(int(v[1]) for v in s_buckets.values())
    differing = sorted(b for b in s_buckets.keys() | p_buckets.keys() if s_buckets.get(b) != p_buckets.get(b))
    drift.buckets_differing = len(differing)
    if not differing:
        return drift
    asins = differing_asins(staging, production, table, marketplace=marketplace, buckets=buckets, bucket_ids=differing)
    _drill_rows(staging, production, table, drift, asins, marketplace)
    return drift


def differing_asins(
    staging: Reader,
    production: Reader,
    table: DataTable,
    *,
    marketplace: str | None = None,
    buckets: int = DEFAULT_BUCKETS,
    bucket_ids: list[int] | None = None,
    asins: list[str] | None = None,
) -> list[str]:
    """The ASINs whose per-ASIN checksums differ, among `bucket_ids` or among `asins`."""
    context = table.context()
    if asins is not None:
        context["by"] = "asins"
        params = {"asins": asins, "marketplace": marketplace}
    else:
        context["by"] = "buckets"
        params = {"buckets": buckets, "bucket_ids": bucket_ids, "marketplace": marketplace}
    s_rows, p_rows = _both(staging, production, lambda r: r.rows("verify_asins", params, **context))
    s_asins = {r[0]: (r[1], r[2]) for r in s_rows}
    p_asins = {r[0]: (r[1], r[2]) for r in p_rows}
    return sorted(a for a in s_asins.keys() | p_asins.keys() if s_asins.get(a) != p_asins.get(a))


def _drill_rows(
    staging: Reader, production: Reader, table: DataTable, drift: TableDrift, asins: list[str], marketplace: str | None
) -> None:
    context = table.context()
    width = len(table.key)
    different: list[tuple[str, ...]] = []
    for chunk in _chunks(asins, ASIN_CHUNK):
        params = {"asins": chunk, "marketplace": marketplace}
        s_rows, p_rows = _both(staging, production, lambda r, p=params: r.rows("verify_rows", p, **context))
        s_hash = {tuple(r[:width]): r[width] for r in s_rows}
        p_hash = {tuple(r[:width]): r[width] for r in p_rows}
        drift.keys["missing"] += sorted(s_hash.keys() - p_hash.keys())
        drift.keys["extra"] += sorted(p_hash.keys() - s_hash.keys())
        different += sorted(k for k in s_hash.keys() & p_hash.keys() if s_hash[k] != p_hash[k])
    drift.keys["different"] = different
    for chunk in _chunks(different, KEY_CHUNK):
        params = {"keys": _keys_json(table, chunk)}
        s_rows, p_rows = _both(staging, production, lambda r, p=params: r.rows("verify_row_values", p, **context))
        p_values = {tuple(r[:width]): r for r in p_rows}
        for row in s_rows:
            other = p_values.get(tuple(row[:width]))
            if other is None:
                continue
            named = {c for c, a, b in zip(table.columns, row, other, strict=True) if a != b}
            # A NULL and an empty string read alike from CSV: the hashes still told them apart.
            drift.columns[row[0]].update(named or {"(null or empty)"})


def repair(staging: Reader, production: DbSettings, drift: TableDrift, guard: LockGuard | None = None) -> int:
    """Upsert production's missing and different rows of one table from staging, KEY_CHUNK keys
    per transaction, through the production publish path (with `guard`, only while the run holds
    the sync lock); returns the rows written."""
    keys = drift.keys["missing"] + drift.keys["different"]
    written = 0
    for chunk in _chunks(keys, KEY_CHUNK):
        with tempfile.TemporaryDirectory(prefix="jssync-repair-") as tmp:
            files = {t.name: Path(tmp) / f"{t.name}.csv" for t in TABLES}
            for t in TABLES:
                files[t.name].touch()
            with files[drift.table.name].open("w") as sink:
                written += staging.copy_to(
                    "verify_row_values", {"keys": _keys_json(drift.table, chunk)}, sink, **drift.table.context()
                )
            _apply_production(production, files[PRODUCTS.name], files[SALES.name], guard)
    return written


def delete_extra(production: DbSettings, drift: TableDrift, guard: LockGuard | None = None) -> int:
    """Delete production's extra rows of one table, KEY_CHUNK keys per transaction, one writer
    at a time (publish_lock); with `guard`, only while the run holds the sync lock."""
    deleted = 0
    with connection(production, application_name="jssync-verify") as conn:
        for chunk in _chunks(drift.keys["extra"], KEY_CHUNK):

            def work(cur, chunk=chunk) -> int:
                run_model(cur, "publish_lock", "production", production.prefix, {"prefix": production.prefix})
                run_model(
                    cur,
                    "verify_delete_rows",
                    production.target,
                    production.prefix,
                    {"keys": _keys_json(drift.table, chunk)},
                    **drift.table.context(),
                )
                if guard is not None:
                    guard.check()
                return cur.rowcount

            deleted += in_transaction(conn, work, what="verify delete")
    return deleted


def parity(staging: DbSettings, production: DbSettings, asins: list[str]) -> list[str]:
    """The cheap per-run check: of `asins`, those whose rows (both tables) differ between the targets."""
    if not asins:
        return []
    s, p = Reader(staging), Reader(production)
    try:
        drifted: set[str] = set()
        for table in TABLES:
            drifted.update(differing_asins(s, p, table, asins=asins))
        return sorted(drifted)
    finally:
        s.close()
        p.close()


def lint_context() -> dict[str, dict]:
    """The context `jssync lint` renders verify's queries (and the data-test wrapper) with."""
    names = ("verify_buckets", "verify_asins", "verify_rows", "verify_row_values", "verify_delete_rows")
    context = {name: {**SALES.context(), "by": "buckets"} for name in names}
    context["data_test_run"] = {"test_sql": "SELECT 1 AS failing"}
    return context
