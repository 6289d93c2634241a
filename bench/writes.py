"""Part 1, the write path: this service's merge vs the Go design's 100-row statements.

Same landed rows, same fresh databases, each measurement under its own table prefix (so every
one writes into empty tables), on loopback and through a TCP proxy adding a delay each way.
Only the writes are timed: the Go design's statements are rendered before its clock starts (as
if Go built them for free), while this service's time includes reading the landing file.
"""

from __future__ import annotations

import datetime as dt
import queue
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg2.extensions
from psycopg2.extras import execute_values

from bench.common import (
    STATEMENTS,
    UNLIMITED,
    Databases,
    bench_asins,
    counting_connect,
    counting_connections,
    data_counts,
    land,
    sql_macros,
)
from bench.proxy import proxy_process
from extract.landing import DATASET, LandedLoad, Landing
from loaders.connections import DbSettings, connect
from loaders.merge import PRODUCT_INPUT, SALES_INPUT, StagingTransaction, merge_staging, publish
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer

OURS, GO, GO_WORKERS = "ours", "go_design", "go_design_5_workers"
SHORT = {OURS: "ours", GO: "go", GO_WORKERS: "go5"}
GO_BATCH = 100  # SalesBatchInsertSize
GO_WORKER_COUNT = 5


@dataclass
class Landed:
    """One landed load and the rows it holds, as the Go design would have them in memory."""

    landing: Landing
    load: LandedLoad
    asins: list[str]
    products: list[dict[str, Any]]
    sales: dict[str, list[tuple]] = field(default_factory=dict)

    @property
    def sales_rows(self) -> int:
        return sum(len(rows) for rows in self.sales.values())

    @property
    def units(self) -> int:
        index = SALES_INPUT.index("estimated_units_sold")
        return sum(row[index] or 0 for rows in self.sales.values() for row in rows)


def landed_rows(load: LandedLoad, table: str, columns: list[str]) -> list[tuple]:
    """`columns` of one landed table for one load, read from the DuckDB file."""
    with duckdb.connect(str(load.file), read_only=True) as con:
        relation = (
            con.table(f"{DATASET}.{table}")
            .filter(duckdb.ColumnExpression("_dlt_load_id") == duckdb.ConstantExpression(load.load_id))
            .select(*[duckdb.ColumnExpression(c) for c in columns])
        )
        return relation.fetchall()


def prepare(
    base_url: str, directory: Path, asins: list[str], run_date: dt.date, landing: Landing | None = None
) -> Landed:
    """Land `asins` through the real extract and read the rows back."""
    landing, load = land(base_url, directory, asins, run_date, landing=landing)
    products = [dict(zip(PRODUCT_INPUT, row, strict=True)) for row in landed_rows(load, "products", PRODUCT_INPUT)]
    sales: dict[str, list[tuple]] = {asin: [] for asin in asins}
    for row in sorted(landed_rows(load, "sales_estimates", SALES_INPUT), key=lambda r: (r[0], r[2])):
        sales[row[0]].append(row)
    return Landed(landing, load, asins, sorted(products, key=lambda p: p["asin"]), sales)


# -- the Go design ------------------------------------------------------------------------


class _Recorder(psycopg2.extensions.cursor):
    """Renders statements (execute_values' pages included) instead of sending them."""

    def execute(self, query: Any, vars: Any = None) -> None:  # noqa: A002 - psycopg2's name
        self.rendered.append(self.mogrify(query, vars))


@dataclass
class GoPlan:
    """The Go design's statements, rendered: products first (step 4), then sales per ASIN."""

    products: list[tuple[str, bytes]]
    sales: list[list[tuple[str, bytes]]]


def go_plan(conn: Any, prefix: str, landed: Landed) -> GoPlan:
    """Per product: upsert into staging, then production, then mark it in sync_status.
    Per ASIN's sales: 100-row upserts into staging, then production, then sync_status."""
    sql = sql_macros("go_design.sql", prefix)
    product_sql, sales_sql, sales_row = (
        sql.product_upsert(PRODUCT_INPUT),
        sql.sales_upsert(SALES_INPUT),
        sql.sales_row(SALES_INPUT),
    )
    cur = conn.cursor(cursor_factory=_Recorder)

    def rendered(write: Callable[[], object]) -> list[bytes]:
        cur.rendered = []
        write()
        return cur.rendered

    def both(statements: list[bytes]) -> list[tuple[str, bytes]]:
        return [("staging", s) for s in statements] + [("production", s) for s in statements]

    products: list[tuple[str, bytes]] = []
    for product in landed.products:
        products += both(rendered(lambda p=product: cur.execute(product_sql, p)))
        products += [("staging", s) for s in rendered(lambda p=product: cur.execute(sql.status_product(), p))]
    sales: list[list[tuple[str, bytes]]] = []
    for asin in landed.asins:
        rows = landed.sales.get(asin)
        if rows:
            pages = rendered(lambda r=rows: execute_values(cur, sales_sql, r, template=sales_row, page_size=GO_BATCH))
            status = rendered(lambda a=asin: cur.execute(sql.status_sales(), {"asin": a}))
            sales.append(both(pages) + [("staging", s) for s in status])
    cur.close()
    return GoPlan(products, sales)


def _open_pair(targets: dict[str, DbSettings]) -> dict[str, Any]:
    pair = {}
    for target, settings in targets.items():
        conn = counting_connect(settings, application_name="bench-go-design")
        conn.autocommit = True  # database/sql: every Exec is its own transaction
        pair[target] = conn
    return pair


def run_go(plan: GoPlan, targets: dict[str, DbSettings], workers: int) -> float:
    """Send the plan; sales by `workers` threads, each with its own connections. Returns seconds."""
    pairs = [_open_pair(targets) for _ in range(max(1, workers))]
    idle: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    for pair in pairs:
        idle.put(pair)

    def send(statements: list[tuple[str, bytes]]) -> None:
        pair = idle.get()
        try:
            cursors = {t: c.cursor() for t, c in pair.items()}
            for target, statement in statements:
                cursors[target].execute(statement)
        finally:
            idle.put(pair)

    try:
        start = time.perf_counter()
        send(plan.products)
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="go-worker") as pool:
                list(pool.map(send, plan.sales))
        else:
            for statements in plan.sales:
                send(statements)
        return time.perf_counter() - start
    finally:
        for pair in pairs:
            for conn in pair.values():
                conn.close()


# -- this service -------------------------------------------------------------------------


def run_ours(landed: Landed, targets: dict[str, DbSettings]) -> float:
    """merge_staging then publish, exactly as a sync runs them. Returns seconds."""
    staging, production = targets["staging"], targets["production"]
    conn = counting_connect(staging, application_name="bench-merge")
    try:
        start = time.perf_counter()
        merge_staging(conn, staging.prefix, landed.landing, landed.load, StagingTransaction(str(uuid.uuid4())))
        result = publish(conn, staging.prefix, production)
        seconds = time.perf_counter() - start
    finally:
        conn.close()
    if result.error or result.pending:
        raise RuntimeError(f"publish to production did not finish: {result.error or result.pending}")
    return seconds


# -- measuring ----------------------------------------------------------------------------


@contextmanager
def networks(server: PgServer, delay: float) -> Iterator[dict[str, tuple[str, int]]]:
    """Where to reach PostgreSQL: directly (loopback) and through a proxy adding `delay` each way."""
    with proxy_process(server.host, server.port, delay) as proxy:
        yield {"loopback": (server.host, server.port), f"proxy_{delay * 1000:g}ms": proxy}


def measure(
    dbs: Databases, landed: Landed, design: str, network: str, where: tuple[str, int], tag: str
) -> dict[str, Any]:
    """One timed write of `landed` by `design` into empty tables; checked afterwards."""
    prefix = f"w{len(landed.asins)}_{SHORT[design]}_{tag}_"
    direct = dbs.migrated(prefix)
    targets = {t: dbs.settings(t, prefix, host=where[0], port=where[1]) for t in direct}
    STATEMENTS.take()
    if design == OURS:
        seconds = run_ours(landed, targets)
    else:
        staging_conn = connect(direct["staging"])
        try:
            plan = go_plan(staging_conn, prefix, landed)
        finally:
            staging_conn.close()
        STATEMENTS.take()
        seconds = run_go(plan, targets, GO_WORKER_COUNT if design == GO_WORKERS else 1)
    statements = STATEMENTS.take()
    expected = (len(landed.products), landed.sales_rows, landed.units)
    for settings in direct.values():
        found = data_counts(settings)
        if found != expected:
            raise RuntimeError(f"{design} on {network}: {settings.target} holds {found}, expected {expected}")
    rows = len(landed.products) + landed.sales_rows
    return {
        "design": design,
        "network": network,
        "asins": len(landed.asins),
        "rows": rows,
        "seconds": round(seconds, 4),
        "rows_per_s": round(rows / seconds),
        "statements": statements,
    }


def run(
    server: PgServer,
    work_dir: Path,
    *,
    asins: int = 100,
    small: int = 10,
    repeats: int = 3,
    delay: float = 0.002,
    log: Any = print,
) -> dict[str, Any]:
    """The whole write-path comparison; returns the results section."""
    run_date = dt.datetime.now(dt.UTC).date()
    with ExitStack() as stack:
        sandbox = stack.enter_context(Sandbox(**UNLIMITED))
        dbs = stack.enter_context(Databases(server, "writes"))
        stack.enter_context(counting_connections())
        big = prepare(sandbox.base_url, work_dir / "landing", bench_asins(asins, "W"), run_date)
        few = prepare(sandbox.base_url, work_dir / "landing", bench_asins(small, "S"), run_date, landing=big.landing)
        log(f"write path: landed {big.sales_rows} sales rows and {len(big.products)} products for {asins} ASINs")
        runs: list[dict[str, Any]] = []
        nets = stack.enter_context(networks(server, delay))
        for rep in range(repeats):
            for network, where in nets.items():
                for design in (OURS, GO, GO_WORKERS):
                    result = measure(dbs, big, design, network, where, f"{network[:2]}{rep}")
                    runs.append({**result, "repeat": rep})
                    log(
                        f"  {design:<20} {network:<12} {result['seconds']:>8.3f} s {result['statements']:>6} statements"
                    )
        # Statements at a tenth of the size; the full size's are those measured above.
        scaling = [measure(dbs, few, design, "loopback", nets["loopback"], "sc") for design in (OURS, GO)]
        scaling += [r for r in runs if r["repeat"] == 0 and r["network"] == "loopback" and r["design"] != GO_WORKERS]
    return summarize(runs, scaling, big, delay)


def summarize(runs: list[dict[str, Any]], scaling: list[dict[str, Any]], big: Landed, delay: float) -> dict[str, Any]:
    """Medians per (design, network), ratios, statement scaling and the targets."""
    summary = []
    for key in dict.fromkeys((r["design"], r["network"]) for r in runs):
        mine = [r for r in runs if (r["design"], r["network"]) == key]
        seconds = statistics.median(r["seconds"] for r in mine)
        summary.append(
            {
                "design": key[0],
                "network": key[1],
                "asins": mine[0]["asins"],
                "rows": mine[0]["rows"],
                "seconds": round(seconds, 4),
                "rows_per_s": round(mine[0]["rows"] / seconds),
                "statements": mine[0]["statements"],
            }
        )
    by = {(s["design"], s["network"]): s for s in summary}
    proxy = next(n for _, n in by if n != "loopback")
    ours_loop, ours_proxy = by[(OURS, "loopback")]["seconds"], by[(OURS, proxy)]["seconds"]
    speedup = {
        f"{design}/{network}": round(by[(design, network)]["seconds"] / by[(OURS, network)]["seconds"], 1)
        for design, network in by
        if design != OURS
    }
    statements = {
        design: {str(r["asins"]): r["statements"] for r in scaling if r["design"] == design} for design in (OURS, GO)
    }
    ours_counts = set(statements[OURS].values())
    return {
        "asins": len(big.asins),
        "product_rows": len(big.products),
        "sales_rows": big.sales_rows,
        "proxy_delay_each_way_s": delay,
        "repeats": len(runs) // max(1, len(summary)),
        "summary": summary,
        "speedup_vs_ours": speedup,
        "statements_by_asins": statements,
        "scaling_runs": scaling,
        "runs": runs,
        "targets": {
            "ours_loopback_under_1s": {"value": ours_loop, "met": ours_loop < 1.0},
            "5x_faster_than_go_design_with_proxy": {
                "value": speedup[f"{GO}/{proxy}"],
                "met": speedup[f"{GO}/{proxy}"] >= 5,
            },
            # The Go service writes sales from its 5 workers: the same statements, 5 at a time.
            "5x_faster_than_go_design_5_workers_with_proxy": {
                "value": speedup[f"{GO_WORKERS}/{proxy}"],
                "met": speedup[f"{GO_WORKERS}/{proxy}"] >= 5,
            },
            "ours_statements_constant": {"value": statements[OURS], "met": len(ours_counts) == 1},
            "ours_proxy_seconds": ours_proxy,
        },
    }
