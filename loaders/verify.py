"""Comparing production with staging, pt-table-checksum style, and repairing production.

Checksums are computed inside each database: first one per bucket of ASINs (a few thousand small
rows per table), then one per ASIN of the buckets that differ, then one per row of the ASINs that
differ, and only the rows found to differ are read whole. The traffic grows with the drift, not
with the table. Every read is a COPY, so the bytes received are counted exactly.
A repair reads staging's rows of the missing and different keys and upserts them into production
through the publish path the sync uses (`loaders.merge`'s production apply: input tables, then
the product_data and sales_estimate_data models), one transaction per batch.

Production may have other writers (issue 19). A production row whose GREATEST(updated_at,
created_at) is later than staging's copy, or, for a row staging lacks, later than staging's newest
row of that ASIN, is another writer's newer copy: kind `newer_in_production`, not drift, never
repaired or deleted. Stamps are compared as instants, and a `timestamptz` column is hashed as its
UTC timestamp, so either column type compares alike.
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
from decimal import Decimal
from pathlib import Path

from loaders.connections import DbSettings, connect, connection
from loaders.execute import copy_out, in_transaction, run_model
from loaders.lock import LockGuard
from loaders.merge import PRODUCT_INPUT, SALES_INPUT, apply_production
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
        """The verify queries' context; `zoned` (the target's timestamptz columns) is set by the
        Reader of each target."""
        return {
            "data_table": self.name,
            "columns": list(self.columns),
            "zoned": [],
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
KINDS = ("missing", "extra", "different")  # drift
NEWER = "newer_in_production"  # another writer's newer row: not drift, left alone


class Reader:
    """One target's connection for reads; each read is a COPY whose bytes are counted."""

    def __init__(self, settings: DbSettings):
        self.settings = settings
        self.conn = connect(settings, application_name="jssync-verify")
        self.bytes_read = 0
        self._zoned: dict[str, list[str]] = {}

    def zoned(self, data_table: str) -> list[str]:
        """The columns of `data_table` that are timestamptz on this target (read once)."""
        if data_table not in self._zoned:
            with self.conn, self.conn.cursor() as cur:
                run_model(
                    cur, "verify_zoned_columns", self.settings.target, self.settings.prefix, data_table=data_table
                )
                self._zoned[data_table] = [row[0] for row in cur.fetchall()]
        return self._zoned[data_table]

    def _render(self, name: str, context: dict) -> str:
        if "data_table" in context:
            context = {**context, "zoned": self.zoned(context["data_table"])}
        return render(name, self.settings.target, self.settings.prefix, **context)

    def rows(self, name: str, params: dict, **context: object) -> list[list[str]]:
        """The CSV rows of query `name` rendered for this target."""
        buffer = io.StringIO()
        query = self._render(name, context)
        with self.conn, self.conn.cursor() as cur:
            copy_out(cur, query, params, buffer)
        text = buffer.getvalue()
        self.bytes_read += len(text.encode())
        return list(csv.reader(io.StringIO(text)))

    def copy_to(self, name: str, params: dict, sink: io.TextIOBase, **context: object) -> int:
        """COPY the rows of query `name` to `sink`; returns the row count (bytes are counted)."""
        query = self._render(name, context)
        with self.conn, self.conn.cursor() as cur:
            count = copy_out(cur, query, params, sink)
        self.bytes_read += sink.tell()
        return count

    def close(self) -> None:
        self.conn.close()


@dataclass
class TableDrift:
    """What differs in one table: keys by kind (the drift KINDS and NEWER), differing columns by
    (ASIN, kind), staging's newest stamp of each extra row's ASIN, counts compared."""

    table: DataTable
    rows: int = 0
    asins: int = 0
    keys: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: {k: [] for k in (*KINDS, NEWER)})
    columns: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    newest: dict[str, Decimal | None] = field(default_factory=dict)  # ASIN -> staging's newest stamp
    buckets_differing: int = 0
    kept_newer: int = 0  # rows a repair's upsert kept: another writer's copy turned newer meanwhile

    def entries(self, kinds: tuple[str, ...] = KINDS) -> list[dict]:
        """One entry per (ASIN, kind) of `kinds` (default: the drift): rows affected and, for
        `different` and `newer_in_production`, the columns that differ."""
        order = (*KINDS, NEWER)
        counted: dict[tuple[str, str], int] = defaultdict(int)
        for kind in kinds:
            for key in self.keys[kind]:
                counted[(key[0], kind)] += 1
        return [
            {
                "table": self.table.name,
                "asin": asin,
                "kind": kind,
                "rows": rows,
                "columns": sorted(self.columns.get((asin, kind), ())),
            }
            for (asin, kind), rows in sorted(counted.items(), key=lambda i: (i[0][0], order.index(i[0][1])))
        ]

    def newer_entries(self) -> list[dict]:
        """The `newer_in_production` entries: another writer's rows, left alone."""
        return self.entries((NEWER,))


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


def _stamp(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _newer(production: Decimal | None, staging: Decimal | None) -> bool:
    # As the production models decide: NULL on either side is not newer.
    return production is not None and staging is not None and production > staging


def _newer_than_staging(stamp: Decimal | None, newest: dict[str, Decimal | None], asin: str) -> bool:
    """Whether a production row staging lacks is newer than staging's newest row of its ASIN. With
    no stamped staging row to compare (none at all, or none with a stamp) a stamped row is taken
    for another writer's: --delete-extra must never delete what it cannot prove older."""
    if stamp is None:
        return False
    best = newest.get(asin)
    return best is None or stamp > best


def _drill_rows(
    staging: Reader,
    production: Reader,
    table: DataTable,
    drift: TableDrift,
    asins: list[str],
    marketplace: str | None,
    *,
    name_columns: bool = True,
) -> None:
    context = table.context()
    width = len(table.key)
    both: list[tuple[tuple[str, ...], str]] = []  # keys on both targets that differ, with their kind
    for chunk in _chunks(asins, ASIN_CHUNK):
        params = {"asins": chunk, "marketplace": marketplace}
        s_rows, p_rows = _both(staging, production, lambda r, p=params: r.rows("verify_rows", p, **context))
        s_rows_by_key = {tuple(r[:width]): (r[width], _stamp(r[width + 1])) for r in s_rows}
        p_rows_by_key = {tuple(r[:width]): (r[width], _stamp(r[width + 1])) for r in p_rows}
        newest: dict[str, Decimal | None] = {}
        for key, (_, stamp) in s_rows_by_key.items():
            best = newest.get(key[0])
            newest[key[0]] = stamp if best is None or (stamp is not None and stamp > best) else best
        drift.keys["missing"] += sorted(s_rows_by_key.keys() - p_rows_by_key.keys())
        for key in sorted(p_rows_by_key.keys() - s_rows_by_key.keys()):
            if _newer_than_staging(p_rows_by_key[key][1], newest, key[0]):
                drift.keys[NEWER].append(key)
            else:
                drift.keys["extra"].append(key)
                drift.newest[key[0]] = newest.get(key[0])
        for key in sorted(s_rows_by_key.keys() & p_rows_by_key.keys()):
            (s_hash, s_stamp), (p_hash, p_stamp) = s_rows_by_key[key], p_rows_by_key[key]
            if s_hash != p_hash:
                kind = NEWER if _newer(p_stamp, s_stamp) else "different"
                drift.keys[kind].append(key)
                both.append((key, kind))
    if not name_columns:
        return
    kinds = dict(both)
    for chunk in _chunks([key for key, _ in both], KEY_CHUNK):
        params = {"keys": _keys_json(table, chunk)}
        s_rows, p_rows = _both(staging, production, lambda r, p=params: r.rows("verify_row_values", p, **context))
        p_values = {tuple(r[:width]): r for r in p_rows}
        for row in s_rows:
            key = tuple(row[:width])
            other = p_values.get(key)
            if other is None:
                continue
            named = {c for c, a, b in zip(table.columns, row, other, strict=True) if a != b}
            # A NULL and an empty string read alike from CSV: the hashes still told them apart.
            drift.columns[(row[0], kinds[key])].update(named or {"(null or empty)"})


def repair(staging: Reader, production: DbSettings, drift: TableDrift, guard: LockGuard | None = None) -> int:
    """Upsert production's missing and different rows of one table from staging, KEY_CHUNK keys
    per transaction, through the production publish path (with `guard`, only while the run holds
    the sync lock); returns the rows written. Rows of kind newer_in_production are not sent, and
    the publish models keep any row another writer made newer meanwhile (counted in
    `drift.kept_newer`, not in the rows written)."""
    keys = drift.keys["missing"] + drift.keys["different"]
    written = 0
    for chunk in _chunks(keys, KEY_CHUNK):
        with tempfile.TemporaryDirectory(prefix="jssync-repair-") as tmp:
            files = {t.name: Path(tmp) / f"{t.name}.csv" for t in TABLES}
            for t in TABLES:
                files[t.name].touch()
            with files[drift.table.name].open("w") as sink:
                sent = staging.copy_to(
                    "verify_row_values", {"keys": _keys_json(drift.table, chunk)}, sink, **drift.table.context()
                )
            kept = len(apply_production(production, files[PRODUCTS.name], files[SALES.name], guard))
            drift.kept_newer += kept
            written += sent - kept
    return written


def delete_extra(production: DbSettings, drift: TableDrift, guard: LockGuard | None = None) -> int:
    """Delete production's extra rows of one table, KEY_CHUNK keys per transaction, one writer
    at a time (publish_lock); with `guard`, only while the run holds the sync lock. A row newer
    than staging's newest row of its ASIN is never deleted (also one written since the compare)."""
    deleted = 0
    with connection(production, application_name="jssync-verify") as conn:
        for chunk in _chunks(drift.keys["extra"], KEY_CHUNK):
            keys = [
                {**dict(zip(drift.table.key, key, strict=True)), "newest": _json_number(drift.newest.get(key[0]))}
                for key in chunk
            ]

            def work(cur, keys=keys) -> int:
                run_model(cur, "publish_lock", "production", production.prefix, {"prefix": production.prefix})
                run_model(
                    cur,
                    "verify_delete_rows",
                    production.target,
                    production.prefix,
                    {"keys": json.dumps(keys)},
                    **drift.table.context(),
                )
                if guard is not None:
                    guard.check()
                return cur.rowcount

            deleted += in_transaction(conn, work, what="verify delete")
    return deleted


def _json_number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)  # jsonb_to_recordset reads "123.45" as numeric


def parity(staging: DbSettings, production: DbSettings, asins: list[str]) -> list[str]:
    """The cheap per-run check: of `asins`, those whose rows (both tables) drifted between the
    targets. Rows another writer made newer in production are not drift."""
    if not asins:
        return []
    s, p = Reader(staging), Reader(production)
    try:
        drifted: set[str] = set()
        for table in TABLES:
            drifted.update(drifted_among(s, p, table, differing_asins(s, p, table, asins=asins)))
        return sorted(drifted)
    finally:
        s.close()
        p.close()


def drifted_among(staging: Reader, production: Reader, table: DataTable, asins: list[str]) -> list[str]:
    """Of `asins` (whose checksums differ), those with drift in `table`: a row missing, extra or
    different, not only rows another writer made newer in production."""
    if not asins:
        return []
    drift = TableDrift(table)
    _drill_rows(staging, production, table, drift, asins, None, name_columns=False)
    return sorted({entry["asin"] for entry in drift.entries()})


def lint_context() -> dict[str, dict]:
    """The context `jssync lint` renders verify's queries (and the data-test wrapper) with."""
    names = (
        "verify_buckets",
        "verify_asins",
        "verify_rows",
        "verify_row_values",
        "verify_delete_rows",
        "verify_zoned_columns",
    )
    context = {name: {**SALES.context(), "by": "buckets"} for name in names}
    context["data_test_run"] = {"test_sql": "SELECT 1 AS failing"}
    return context
