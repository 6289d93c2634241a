"""A run's side of the landing archive (LANDING_ARCHIVE_URL) and of the landing's retention.

Every merged load's landed tables are kept in staging, in the merge's own transaction, as the
Parquet files the archive gets (loaders/archive.py); after the batch is published they go to the
archive and leave staging. An archive that fails costs no data and no sync: the run goes on
(green on data), tries no more uploads, reports "archive behind: N loads" (yellow) and exits 0;
the next run, on a fresh disk too, uploads what staging still holds, oldest first.
LANDING_RETENTION_DAYS prunes old loads from the local landing file, never one still pending.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import psycopg2

from extract.archive import Archive, ArchiveError, export_load
from extract.landing import LandedLoad, LandingError
from extract.text import first_line
from loaders import archive as pending_loads
from loaders.lock import LockLost

if TYPE_CHECKING:
    from sync.run import SyncRun

log = logging.getLogger("jssync.archive")
DAY = 86_400.0


@dataclass
class ArchiveRun:
    """What one run did with the archive."""

    archive: Archive
    ok: bool = True  # after one failure this run uploads no more (the next run catches up)
    tried: bool = False
    files: int = 0
    loads: int = 0
    error: str | None = None
    local: dict[str, pending_loads.PendingLoad] = field(default_factory=dict)  # this run's loads, files on disk


def _work_dir(run: SyncRun) -> Path:
    return Path(run.config.landing_dir) / "archive"


def _state(run: SyncRun) -> ArchiveRun | None:
    if run.config.landing_archive is None or run.kind == "verify":  # a verify run lands nothing
        return None
    if run.archive is None:
        try:
            archive = Archive(run.config.landing_archive, Path(run.config.landing_dir) / "pipelines")
        except ArchiveError as exc:  # the object store's library is missing: said once, at the start
            run.archive = ArchiveRun(archive=None, ok=False, error=str(exc))  # type: ignore[arg-type]
            log.warning("landing archive unavailable: %s", exc)
            return run.archive
        run.archive = ArchiveRun(archive=archive)
    return run.archive


def prepare(run: SyncRun, load: LandedLoad) -> pending_loads.PendingLoad | None:
    """The load's files for the archive, written before the staging merge (which keeps them);
    None without an archive. A file that cannot be written is logged: the merge goes on."""
    state = _state(run)
    if state is None:
        return None
    try:
        files = export_load(load.file, load.load_id, _work_dir(run) / load.load_id)
    except (duckdb.Error, OSError) as exc:
        state.error = _scrubbed(run, f"could not write load {load.load_id}'s files for the archive: {first_line(exc)}")
        log.warning("%s; the load is merged but not archived", state.error)
        return None
    pending = pending_loads.PendingLoad(load.load_id, run.status.run_id, tuple(files))
    state.local[load.load_id] = pending
    return pending


def upload_pending(run: SyncRun) -> None:
    """Upload every load staging holds for the archive, oldest first (this run's from its local
    files, earlier runs' rebuilt from staging); stop at the first failure, which is reported."""
    state = _state(run)
    if state is None or not state.ok or run.staging is None or run.staging.closed:
        return
    state.tried = True
    prefix = run.config.staging.prefix
    try:
        waiting = pending_loads.pending(run.staging, prefix)
    except psycopg2.Error as exc:
        log.warning("could not read the loads pending for the archive: %s", first_line(exc))
        return
    for load_id in waiting:
        try:
            _still_locked(run)
            local = state.local.get(load_id)
            if local is not None:
                state.files += state.archive.upload(load_id, local.files)
            else:
                state.files += state.archive.upload(
                    load_id, pending_loads.files(run.staging, prefix, load_id, _work_dir(run) / load_id), replace=True
                )
            pending_loads.done(run.staging, prefix, [load_id])
        except (ArchiveError, psycopg2.Error, LockLost, OSError) as exc:
            state.ok = False
            state.error = _scrubbed(run, first_line(exc))
            log.warning("landing archive: %s; the load stays pending in staging for the next run", state.error)
            return
        finally:
            state.local.pop(load_id, None)
            shutil.rmtree(_work_dir(run) / load_id, ignore_errors=True)
        state.loads += 1
        log.debug("archived load %s", load_id, extra={"step": "Archive"})


def _still_locked(run: SyncRun) -> None:
    # Two runs must never upload one load at once: upload only while this run holds the lock.
    guard = run.lock_guard()
    if guard is None:
        raise LockLost("this sync holds no lock")
    guard.check()


def close(run: SyncRun) -> None:
    """At the run's end: upload the backlog if no batch did, put `archive` into the status (a
    warning while loads are pending), prune the landing file (LANDING_RETENTION_DAYS)."""
    state = _state(run)
    pending: list[str] | None = None
    if state is not None:
        if not state.tried and not run.status.stopped_early:
            upload_pending(run)
        pending = _pending(run)
        status = run.status.archive = {
            "url": run.config.landing_archive.public,
            "files": state.files,
            "loads": state.loads,
            "pending_loads": None if pending is None else len(pending),
        }
        if state.error:
            status["error"] = state.error
        if pending:
            run.status.warnings.append(f"archive behind: {len(pending)} load{'' if len(pending) == 1 else 's'}")
        shutil.rmtree(_work_dir(run), ignore_errors=True)
    _prune(run, pending)


def _pending(run: SyncRun) -> list[str] | None:
    if run.staging is None or run.staging.closed:
        return None
    try:
        return pending_loads.pending(run.staging, run.config.staging.prefix)
    except psycopg2.Error as exc:
        log.warning("could not count the loads pending for the archive: %s", first_line(exc))
        return None


def _prune(run: SyncRun, pending: list[str] | None) -> None:
    """Delete the loads landed more than LANDING_RETENTION_DAYS before this run from its landing
    file; with an archive, never one staging still holds for it (nor any, when that is unknown)."""
    days = run.config.landing_retention_days
    if days is None or run.landing is None:
        return
    if run.config.landing_archive is not None and pending is None:
        log.warning("landing retention skipped: the loads pending for the archive are unknown")
        return
    cutoff = run.started_unix - days * DAY
    try:
        pruned = run.landing.prune(cutoff, keep=pending or [])
    except LandingError as exc:
        log.warning("landing retention failed: %s", exc)
        return
    run.status.landing["pruned_loads"] = pruned
    if pruned:
        log.info("landing retention: %d loads older than %d days pruned from %s", pruned, days, run.landing.file)


def _scrubbed(run: SyncRun, text: str) -> str:
    return run.status.errors.scrub(text)
