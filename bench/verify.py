"""`make bench` part verify: `jssync verify`'s comparison at 1M and 10M sales rows per target,
in sync and with 100 drifted ASINs: seconds, bytes read from each server (counted on the COPY
stream) against the tables' size, and rows repaired per second. Then, at sizes up to LEVEL_UP_TO,
production emptied (as after staging-only runs) and brought level by `jssync catch-up --full`'s
copy (loaders/level.py): rows copied per second (target: 10,000 or more on loopback)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import Databases, sql_macros
from loaders import level
from loaders import verify as checks
from loaders.connections import connection
from sandbox.postgres import PgServer

PREFIX = "bv_"
DAYS = 365
DRIFTED = 100
LEVEL_UP_TO = 1_000_000  # sales rows: the full catch-up is measured at sizes up to this
LEVEL_TARGET_ROWS_PER_S = 10_000


def _execute(settings, statement: str, params: dict) -> list:
    with connection(settings) as conn, conn, conn.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []


def _verify(targets: dict, *, repair: bool) -> dict[str, Any]:
    started = time.perf_counter()
    staging, production = checks.Reader(targets["staging"]), checks.Reader(targets["production"])
    try:
        drifts = [checks.compare_table(staging, production, t) for t in checks.TABLES]
        seconds = time.perf_counter() - started
        entries = [e for d in drifts for e in d.entries()]
        repaired, repair_s = 0, 0.0
        if repair:
            clock = time.perf_counter()
            repaired = sum(checks.repair(staging, targets["production"], d) for d in drifts)
            repair_s = time.perf_counter() - clock
        return {
            "seconds": round(seconds, 2),
            "drifted_asins": len({e["asin"] for e in entries}),
            "bytes_read": {"staging": staging.bytes_read, "production": production.bytes_read},
            "rows_repaired": repaired,
            "repair_seconds": round(repair_s, 2),
            "rows_repaired_per_s": round(repaired / repair_s) if repair_s else None,
        }
    finally:
        staging.close()
        production.close()


def run(server: PgServer, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """Verify tables of each size (sales rows per target) in sync, then with DRIFTED ASINs drifted."""
    results = []
    for rows in sizes:
        n_asins = max(DRIFTED, rows // DAYS)
        with Databases(server, f"verify{rows}") as dbs:
            targets = dbs.migrated(PREFIX)
            sql = sql_macros("verify.sql", PREFIX)
            clock = time.perf_counter()
            with ThreadPoolExecutor(max_workers=2) as pool:  # both targets filled at once
                for done in [
                    pool.submit(_execute, settings, sql.fill(), {"n_asins": n_asins, "days": DAYS})
                    for settings in targets.values()
                ]:
                    done.result()
            fill_s = time.perf_counter() - clock
            table_bytes = _execute(targets["staging"], sql.table_bytes(), {})[0][0]
            in_sync = _verify(targets, repair=False)
            _execute(targets["production"], sql.drift(), {"n_asins": n_asins, "drifted": DRIFTED})
            drifted = _verify(targets, repair=True)
            after = _verify(targets, repair=False)
            leveled = _level(targets, sql) if n_asins * DAYS <= LEVEL_UP_TO else None
            row = {
                "sales_rows": n_asins * DAYS,
                "asins": n_asins,
                "fill_seconds": round(fill_s, 1),
                "table_bytes": table_bytes,
                "in_sync": in_sync,
                "drifted": drifted,
                "after_repair_drifted_asins": after["drifted_asins"],
            }
            if leveled is not None:
                row["full_catch_up"] = leveled
            for case in (in_sync, drifted):
                read = max(case["bytes_read"].values())
                case["traffic_percent_of_table"] = round(100 * read / table_bytes, 4)
            print(
                f"  {row['sales_rows']:>10,} rows: in sync {in_sync['seconds']}s "
                f"({in_sync['traffic_percent_of_table']}% of the table read), drifted {drifted['seconds']}s "
                f"({drifted['drifted_asins']} ASINs, {drifted['traffic_percent_of_table']}%), repaired "
                f"{drifted['rows_repaired']} rows at {drifted['rows_repaired_per_s']}/s; after repair "
                f"{after['drifted_asins']} drifted",
                flush=True,
            )
            if leveled is not None:
                print(
                    f"  {row['sales_rows']:>10,} rows: production emptied, catch-up --full copied "
                    f"{leveled['rows']:,} rows in {leveled['seconds']}s ({leveled['rows_per_s']:,}/s, target "
                    f"{LEVEL_TARGET_ROWS_PER_S:,}); then {leveled['differing_after']} ASINs differ",
                    flush=True,
                )
            results.append(row)
    return results


def _level(targets: dict, sql) -> dict[str, Any]:
    """Empty production's data tables, then bring them level with `jssync catch-up --full`'s copy."""
    _execute(targets["production"], sql.empty(), {})
    done = level.level(targets["staging"], targets["production"])
    return {
        "rows": done.rows,
        "batches": done.batches,
        "seconds": round(done.seconds, 2),
        "rows_per_s": done.rows_per_second,
        "target_met": done.rows_per_second >= LEVEL_TARGET_ROWS_PER_S,
        "differing_after": level.still_differing(targets["staging"], targets["production"]),
    }
