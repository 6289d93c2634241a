"""The DuckDB landing file: where each run's API answers land (dlt), and how they are read back.

The file is a record for analysts and the staging area of one run; staging's sync_status is
the source of truth, so nothing here is ever the only copy of anything that matters.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import dlt
import duckdb

log = logging.getLogger("jssync.landing")

PIPELINE = "jssync"
DATASET = "landing"
FILE_NAME = "jssync.duckdb"
_LOAD_ID = re.compile(r"^\d+\.\d+$")


class LandingError(RuntimeError):
    """The landing file could not be written or read."""


@dataclass(frozen=True)
class LandedLoad:
    """One dlt load: its id and the file holding it."""

    load_id: str
    file: Path


def _configure_dlt() -> None:
    # dlt reads its configuration from the environment; these are ours, not the user's to set.
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID"] = "true"
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")


class Landing:
    """A dlt pipeline into one DuckDB file under `directory`."""

    def __init__(self, directory: Path, *, file_name: str = FILE_NAME, pipeline_name: str = PIPELINE):
        _configure_dlt()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.file = (self.directory / file_name).resolve()
        self.pipeline_name = pipeline_name
        self._pipeline = dlt.pipeline(
            pipeline_name=pipeline_name,
            pipelines_dir=str(self.directory / "pipelines"),
            destination=dlt.destinations.duckdb(str(self.file)),
            dataset_name=DATASET,
        )

    def drop_pending(self) -> int:
        """Drop load packages an interrupted run left behind: their ASINs were never merged, so
        staging still lists them as due and the next selection fetches them again."""
        if not self._pipeline.has_pending_data:
            return 0
        self._pipeline.drop_pending_packages()
        log.warning("dropped load packages left by an interrupted run (their ASINs will be fetched again)")
        return 1

    def land(self, source: object) -> LandedLoad:
        """Run the pipeline on `source`; returns the load it wrote."""
        self.drop_pending()
        try:
            info = self._pipeline.run(source)
        except Exception as exc:
            # A failed load leaves a pending package; the next run drops it (see drop_pending).
            raise LandingError(f"landing into {self.file} failed: {_root_cause(exc)}") from exc
        if not info.loads_ids:
            raise LandingError("the pipeline ran but wrote no load")
        return LandedLoad(load_id=info.loads_ids[-1], file=self.file)

    def export_csv(self, load: LandedLoad, table: str, columns: list[str], path: Path) -> int:
        """Write `columns` of `table` for one load to `path` as CSV (PostgreSQL COPY's dialect)."""
        if not _LOAD_ID.match(load.load_id):
            raise LandingError(f"not a dlt load id: {load.load_id!r}")
        with duckdb.connect(str(load.file)) as con:
            try:
                relation = con.table(f"{DATASET}.{table}")
            except duckdb.CatalogException:
                path.write_text("")  # dlt creates a table with its first row; none landed yet
                return 0
            relation = (relation
                        .filter(duckdb.ColumnExpression("_dlt_load_id")
                                == duckdb.ConstantExpression(load.load_id))
                        .select(*[duckdb.ColumnExpression(c) for c in columns]))
            relation.write_csv(str(path), header=False)
            count = relation.aggregate("count(*)").fetchall()[0][0]
        return int(count)


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def wait_for_file(path: Path, seconds: float) -> bool:
    """True when `path` can be opened for writing within `seconds` (another process may hold it)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with duckdb.connect(str(path)):
                return True
        except duckdb.IOException:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)


def remove(directory: Path) -> None:
    """Delete a landing directory (tests, and fallback files after their run)."""
    shutil.rmtree(directory, ignore_errors=True)
