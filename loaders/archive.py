"""The landing archive's pending loads, kept in staging (`jssync_archive_pending`): each merged
load's Parquet files, written in the merge's transaction and deleted once the archive holds
them, so a load the archive missed survives the job's disk and is uploaded by a later run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from extract.archive import ArchiveFile
from loaders.execute import run_model


@dataclass(frozen=True)
class PendingLoad:
    """A merged load waiting for the archive: its files on the local disk."""

    load_id: str
    run_id: str
    files: tuple[ArchiveFile, ...]


def record(cur, prefix: str, load: PendingLoad) -> None:
    """Keep the load's files in staging (call inside the staging merge's transaction)."""
    for file in load.files:
        run_model(
            cur,
            "archive_pending_add",
            "staging",
            prefix,
            {
                "load_id": load.load_id,
                "table_name": file.table,
                "run_id": load.run_id,
                "row_count": file.rows,
                "parquet": psycopg2.Binary(file.path.read_bytes()),
            },
        )


def pending(conn, prefix: str) -> list[str]:
    """The load ids waiting for the archive, oldest first."""
    with conn, conn.cursor() as cur:
        run_model(cur, "archive_pending_loads", "staging", prefix)
        return [row[0] for row in cur.fetchall()]


def files(conn, prefix: str, load_id: str, directory: Path) -> list[ArchiveFile]:
    """Rebuild a pending load's files from staging into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    with conn, conn.cursor() as cur:
        run_model(cur, "archive_pending_files", "staging", prefix, {"load_id": load_id})
        rebuilt = []
        for table, rows, data in cur.fetchall():
            path = directory / f"{table}.parquet"
            path.write_bytes(bytes(data))
            rebuilt.append(ArchiveFile(table, path, rows))
    return rebuilt


def done(conn, prefix: str, load_ids: Sequence[str]) -> None:
    """The archive holds these loads: they are no longer pending."""
    with conn, conn.cursor() as cur:
        for load_id in load_ids:
            run_model(cur, "archive_pending_done", "staging", prefix, {"load_id": load_id})
