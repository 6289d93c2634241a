"""Part `archive` (issue 20): the time to archive an hourly run's landed loads, as a ratio of that
run's merge time, at 1,000 and 10,000 new ASINs (a year of sales each: the largest loads a run
lands), into a file:// directory and into gs:// (fake-gcs-server on loopback, through gcsfs).

The run is landed once, by the real extract, in batches of MERGE_BATCH_ASINS as the hourly sync
does. Per batch, the merge is timed exactly as a sync runs it (merge_staging, then publish to
production), and the archive as a sync pays for it: the load's Parquet files written from the
landing file, kept in staging (the same statements the merge's transaction runs), uploaded by
dlt's filesystem destination, and the pending rows deleted. Goal: archive / merge <= 0.25.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import UNLIMITED, Databases, bench_asins, land
from extract.archive import Archive, export_load
from extract.archive_url import parse
from extract.landing import Landing
from loaders import archive as pending_loads
from loaders.connections import connect
from loaders.merge import StagingTransaction, merge_staging, publish
from sandbox.fake_gcs import BUCKET, FakeGcs
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer
from sync.hourly import MERGE_BATCH_ASINS

PREFIX = "a_"
GOAL = 0.25
DESTINATIONS = ("file", "gs")


def _archive_one(
    conn: Any, archive: Archive, landing_file: Path, load_id: str, work: Path
) -> tuple[dict[str, float], int]:
    """Archive one merged load as a sync does; seconds per step, and the files' bytes."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    files = export_load(landing_file, load_id, work / load_id)
    times["export"] = time.perf_counter() - start
    start = time.perf_counter()
    with conn, conn.cursor() as cur:
        pending_loads.record(cur, PREFIX, pending_loads.PendingLoad(load_id, str(uuid.uuid4()), tuple(files)))
    times["keep_in_staging"] = time.perf_counter() - start
    start = time.perf_counter()
    archive.upload(load_id, files)
    times["upload"] = time.perf_counter() - start
    start = time.perf_counter()
    pending_loads.done(conn, PREFIX, [load_id])
    times["done"] = time.perf_counter() - start
    size = sum(f.path.stat().st_size for f in files)
    shutil.rmtree(work / load_id)
    return times, size


def measure(
    server: PgServer, base_url: str, work_dir: Path, asins: int, archives: dict[str, Archive], log: Any
) -> dict[str, Any]:
    """One run of `asins` new ASINs: its merge time and, per destination, its archive time."""
    work = work_dir / f"archive_{asins}"
    names = bench_asins(asins, "A")
    with Databases(server, f"arch{asins}") as dbs:
        targets = dbs.migrated(PREFIX)
        landing = Landing(work / "landing")
        landing.hold()  # as a sync holds its landing file for the whole run
        loads = []
        for start in range(0, asins, MERGE_BATCH_ASINS):
            batch = names[start : start + MERGE_BATCH_ASINS]
            loads.append(land(base_url, work / "landing", batch, _today(), landing=landing)[1])
        conn = connect(targets["staging"], application_name="bench-archive")
        try:
            merge_s = 0.0
            archive_s = {name: {} for name in archives}
            sales_rows = 0
            parquet_bytes = 0
            for load in loads:
                start = time.perf_counter()
                merged = merge_staging(conn, PREFIX, landing, load, StagingTransaction(str(uuid.uuid4())))
                result = publish(conn, PREFIX, targets["production"])
                merge_s += time.perf_counter() - start
                if result.error or result.pending:
                    raise RuntimeError(f"publish did not finish: {result.error or result.pending}")
                sales_rows += merged.sales
                for name, archive in archives.items():
                    steps, size = _archive_one(conn, archive, landing.file, load.load_id, work / name)
                    for step, seconds in steps.items():
                        archive_s[name][step] = archive_s[name].get(step, 0.0) + seconds
                parquet_bytes += size
            with conn, conn.cursor() as cur:
                cur.execute(f'SELECT count(*) FROM "{PREFIX}jssync_archive_pending"')  # noqa: S608 (the bench's own prefix)
                left = cur.fetchone()[0]
        finally:
            conn.close()
            landing.release()
    if left:
        raise RuntimeError(f"{left} pending archive rows left after the benchmark's uploads")
    rows = []
    for name, steps in archive_s.items():
        total = sum(steps.values())
        rows.append(
            {
                "asins": asins,
                "destination": name,
                "batches": len(loads),
                "sales_rows": sales_rows,
                "parquet_mb": round(parquet_bytes / len(archives) / 2**20, 2),
                "merge_s": round(merge_s, 3),
                "archive_s": round(total, 3),
                "ratio": round(total / merge_s, 3),
                **{f"{step}_s": round(seconds, 3) for step, seconds in steps.items()},
            }
        )
        log(f"  {asins:>6} ASINs {name:<5} merge {merge_s:7.2f} s  archive {total:6.2f} s  ratio {total / merge_s:.3f}")
    return {"rows": rows}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def run(
    server: PgServer,
    work_dir: Path,
    sizes: tuple[int, ...],
    *,
    destinations: tuple[str, ...] = DESTINATIONS,
    log: Any = print,
) -> dict[str, Any]:
    """The archive part at each size and destination (file, gs); returns its results section."""
    runs: list[dict[str, Any]] = []
    with ExitStack() as stack:
        sandbox = stack.enter_context(Sandbox(**UNLIMITED))
        if "gs" in destinations:
            gcs = FakeGcs(work_dir / "gcs").start()
            stack.callback(gcs.stop)
            gcs.create_bucket()
            stack.callback(_restore, "STORAGE_EMULATOR_HOST", os.environ.get("STORAGE_EMULATOR_HOST"))
            os.environ["STORAGE_EMULATOR_HOST"] = gcs.url
        for asins in sizes:
            urls = {"file": f"file://{work_dir / f'file_archive_{asins}'}", "gs": f"gs://{BUCKET}/bench{asins}"}
            archives = {name: Archive(parse(urls[name]), work_dir / f"pl_{name}_{asins}") for name in destinations}
            runs += measure(server, sandbox.base_url, work_dir, asins, archives, log)["rows"]
    worst = max(r["ratio"] for r in runs)
    return {"runs": runs, "targets": {"archive_at_most_0.25_of_merge": {"value": worst, "met": worst <= GOAL}}}


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
