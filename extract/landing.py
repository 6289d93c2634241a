"""The DuckDB landing file: where each run's API answers land (dlt), and how they are read back.

The file is a record for analysts and the staging area of one run; staging's sync_status is
the source of truth, so nothing here is ever the only copy of anything that matters.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import dlt
import duckdb
import jinja2
from dlt.destinations.impl.duckdb.configuration import DuckDbClientConfiguration

import sql as sql_package
from extract.retrying import polling
from extract.text import first_line

log = logging.getLogger("jssync.landing")

PIPELINE = "jssync"
DATASET = "landing"
FILE_NAME = "jssync.duckdb"
_LOAD_ID = re.compile(r"^\d+\.\d+$")
# The analysts' views (DuckDB SQL), one file per view.
LANDING_SQL = sql_package.resource("landing")
VIEWS_DIR = LANDING_SQL / "views"


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
    # The DuckDB file is the record; dlt's copies of loaded files would only fill the disk
    # (on Cloud Run, /tmp is memory).
    os.environ["LOAD__DELETE_COMPLETED_JOBS"] = "true"
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    # Staging is the source of truth, not dlt's state: nothing to restore from (or keep in) the
    # file, and a pickled run trace per load is time spent for no reader.
    os.environ["RESTORE_FROM_DESTINATION"] = "false"
    os.environ["ENABLE_RUNTIME_TRACE"] = "false"


class _DuckDbDestination(dlt.destinations.duckdb):
    """dlt's DuckDB destination that resolves its partial configuration once.

    dlt asks a destination for its capabilities dozens of times per `pipeline.run`, and each
    time resolves the partial configuration from every provider again: two thirds of a small
    run's landing time. The answer cannot change within a pipeline's life (our settings are set
    before it is made), so the first one is kept; full configurations (for clients) are not cached.
    """

    _partial: DuckDbClientConfiguration | None = None

    @property
    def destination_type(self) -> str:
        return "dlt.destinations.duckdb"  # as dlt's own, so the pipeline state names the same type

    def configuration(
        self, initial_config: DuckDbClientConfiguration, accept_partial: bool = False
    ) -> DuckDbClientConfiguration:
        if not accept_partial:
            return super().configuration(initial_config, accept_partial)
        if self._partial is None:
            self._partial = super().configuration(initial_config, accept_partial=True)
        return self._partial


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
            destination=_DuckDbDestination(str(self.file)),
            dataset_name=DATASET,
        )

    def hold(self, wait: float = 0.0) -> bool:
        """Open the file for writing and keep it open for the run, waiting up to `wait` seconds
        for another process (an analyst) to let go; False if it did not. Holding it means no
        one can take the file half-way through the run; dlt's connections in this process share it."""
        try:
            self._held = polling(wait, 0.2, duckdb.IOException)(duckdb.connect, str(self.file))
        except duckdb.IOException:
            return False
        self._held.execute((LANDING_SQL / "settings.sql").read_text())
        return True

    def release(self) -> None:
        """Close the held connection (end of the run)."""
        held, self._held = getattr(self, "_held", None), None
        if held is not None:
            held.close()

    def tables(self) -> frozenset[str]:
        """The tables the landing file holds (none when it does not exist yet)."""
        if not self.file.exists():
            return frozenset()
        held = getattr(self, "_held", None)
        try:
            with contextlib.nullcontext(held) if held is not None else duckdb.connect(str(self.file)) as con:
                return frozenset(name for kind, name, _ in objects(con) if kind == "table")
        except duckdb.Error as exc:
            raise LandingError(f"reading the tables of {self.file} failed: {_root_cause(exc)}") from exc

    def drop_pending(self) -> int:
        """Drop load packages an interrupted run left behind: their ASINs were never merged, so
        staging still lists them as due and the next selection fetches them again."""
        if not self._pipeline.has_pending_data:
            return 0
        self._pipeline.abort_packages()  # drop_pending_packages is its deprecated alias (dlt 1.30)
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
        create_views(self.file)
        return LandedLoad(load_id=info.loads_ids[-1], file=self.file)

    def export_csv(self, load: LandedLoad, exports: dict[str, tuple[list[str], Path]]) -> None:
        """Write each `table: (columns, path)` of one load as CSV in PostgreSQL COPY's dialect
        (one connection for all of them; a table not landed yet gives an empty file)."""
        if not _LOAD_ID.match(load.load_id):
            raise LandingError(f"not a dlt load id: {load.load_id!r}")
        with duckdb.connect(str(load.file)) as con:
            for table, (columns, path) in exports.items():
                try:
                    relation = con.table(f"{DATASET}.{table}")
                except duckdb.CatalogException:
                    path.write_text("")  # dlt creates a table with its first row
                    continue
                (
                    relation.filter(duckdb.ColumnExpression("_dlt_load_id") == duckdb.ConstantExpression(load.load_id))
                    .select(*[duckdb.ColumnExpression(c) for c in columns])
                    .write_csv(str(path), header=False)
                )

    def prune(self, cutoff: float, keep: list[str] | tuple[str, ...] = ()) -> int:
        """Delete the loads landed before `cutoff` (a UNIX time), but those in `keep`, from every
        table of the file (LANDING_RETENTION_DAYS); returns how many loads went. DuckDB reuses
        the freed blocks, so the file stops growing rather than shrinking."""
        try:
            with duckdb.connect(str(self.file)) as con:
                tables = sorted(name for kind, name, _ in objects(con) if kind == "table")
                if "_dlt_loads" not in tables:
                    return 0
                data = [t for t in tables if not t.startswith("_dlt_")]
                script = jinja2.Template((LANDING_SQL / "prune.sql").read_text()).render(tables=data)
                params = {"cutoff": cutoff, "keep": list(keep)}
                con.execute("BEGIN TRANSACTION")
                for statement in statements(script):
                    pruned = con.execute(statement, params).fetchall()  # the last: the loads deleted
                con.execute("COMMIT")
                if pruned:
                    con.execute("CHECKPOINT")  # so the freed blocks are reused
        except duckdb.Error as exc:
            raise LandingError(f"pruning {self.file} failed: {_root_cause(exc)}") from exc
        return len(pruned)


def objects(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int | None]]:
    """The landing schema's (kind, name, estimated rows) of each table and view, through `con`."""
    return con.execute((LANDING_SQL / "objects.sql").read_text()).fetchall()


def statements(script: str) -> list[str]:
    """The statements of a DuckDB script (comment lines dropped), to run one by one."""
    text = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def create_views(file: Path) -> list[str]:
    """(Re)create the analysts' views of sql/landing/ in `file`; returns the views created.

    A view whose tables have not landed yet (dlt creates a table with its first row) is left for
    a later load. Best effort: the views are for people, the sync never reads them."""
    created = []
    try:
        with duckdb.connect(str(file)) as con:
            for path in sorted((p for p in VIEWS_DIR.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name):
                try:
                    con.execute(path.read_text())
                except duckdb.CatalogException:
                    log.debug("view %s waits for its tables to land", path.name.removesuffix(".sql"))
                    continue
                created.append(path.name.removesuffix(".sql"))
    except duckdb.Error as exc:
        log.warning("could not create the landing views in %s: %s", file, _root_cause(exc))
    return created


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return first_line(exc)


def open_for_run(directory: Path, run_id: str, wait: float) -> tuple[Landing, str | None]:
    """The landing for one run: the main file, held for the run; or, when another process keeps
    it locked for more than `wait` seconds, a file of this run's own beside it. Returns the
    landing and, for the fallback, the reason (for the status object)."""
    main = Landing(directory)
    if main.hold(wait):
        return main, None
    name = "jssync_" + re.sub(r"[^a-z0-9]", "", run_id.lower())[:32]
    fallback = Landing(Path(directory) / "runs", file_name=f"{name}.duckdb", pipeline_name=name)
    if not fallback.hold(0.0):
        raise LandingError(f"neither {main.file} nor {fallback.file} can be opened for writing")
    reason = f"{main.file.name} was locked by another process for {wait:g}s; this run landed in {fallback.file}"
    log.warning("%s", reason)
    return fallback, reason
