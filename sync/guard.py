"""One sync at a time: a PostgreSQL advisory lock on a dedicated staging connection.

The lock belongs to that connection's session, so it is held for the whole sync in every
process and instance, and PostgreSQL releases it when the holder dies (its connection ends).
Should the session be lost mid-run (a failover, a killed backend), another sync may start; so
every staging merge first checks, inside its own transaction, that this run still holds it.
"""

from __future__ import annotations

import logging

import psycopg2

from loaders.connections import DbSettings, connect, first_line
from loaders.execute import run_model
from loaders.lock import LockLost, check_lock_held  # noqa: F401 (LockLost: raised by check)

log = logging.getLogger("jssync.guard")


class SyncAlreadyRunning(RuntimeError):
    """Another sync holds the lock; `status` is its last saved status object, if any."""

    def __init__(self, message: str, status: dict | None = None):
        super().__init__(message)
        self.status = status


class SyncLock:
    """The lock for one prefix, on a connection of its own: acquire(), check(), release()."""

    def __init__(self, staging: DbSettings):
        self.staging = staging
        self.prefix = staging.prefix
        self.conn = None
        self.pid: int | None = None

    def acquire(self) -> SyncLock:
        """Take the lock without waiting; SyncAlreadyRunning when another session has it."""
        conn = connect(self.staging, application_name="jssync-lock")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                run_model(cur, "sync_lock", "staging", self.prefix, {"prefix": self.prefix})
                locked = cur.fetchone()[0]
        except Exception:
            conn.close()
            raise
        if not locked:
            conn.close()
            raise SyncAlreadyRunning("another sync is running (hourly or master); try again when it ends")
        self.conn, self.pid = conn, conn.get_backend_pid()
        return self

    def check(self, cur) -> None:
        """Raise LockLost unless this run's session still holds the lock (run on any staging
        cursor, e.g. inside a merge transaction, which the exception then rolls back)."""
        check_lock_held(cur, self.prefix, self.pid)

    def release(self) -> None:
        """Give the lock back and close its connection; never raises (closing releases it too)."""
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            if not conn.closed:
                with conn.cursor() as cur:
                    run_model(cur, "sync_unlock", "staging", self.prefix, {"prefix": self.prefix})
        except psycopg2.Error as exc:
            log.warning("could not release the sync lock (%s); closing its connection releases it", first_line(exc))
        finally:
            conn.close()

    def __enter__(self) -> SyncLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
