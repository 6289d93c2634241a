"""One sync at a time: a PostgreSQL advisory lock on a dedicated staging connection.

The lock belongs to that connection's session, so it is held for the whole sync in every
process and instance, and PostgreSQL releases it when the holder dies (its connection ends).
"""

from __future__ import annotations

from loaders.connections import DbSettings, connect
from loaders.execute import run_model


class SyncAlreadyRunning(RuntimeError):
    """Another sync holds the lock; `status` is its last saved status object, if any."""

    def __init__(self, message: str, status: dict | None = None):
        super().__init__(message)
        self.status = status


class SyncLock:
    """Context manager: take the lock or raise SyncAlreadyRunning; release on exit."""

    def __init__(self, staging: DbSettings):
        self.staging = staging
        self._conn = None

    def __enter__(self) -> SyncLock:
        conn = connect(self.staging, application_name="jssync-lock")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                run_model(cur, "sync_lock", "staging", self.staging.prefix,
                          {"prefix": self.staging.prefix})
                locked = cur.fetchone()[0]
        except Exception:
            conn.close()
            raise
        if not locked:
            conn.close()
            raise SyncAlreadyRunning("another sync is running (hourly or master); try again when it ends")
        self._conn = conn
        return self

    def __exit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if not conn.closed:
                with conn.cursor() as cur:
                    run_model(cur, "sync_unlock", "staging", self.staging.prefix,
                              {"prefix": self.staging.prefix})
        finally:
            conn.close()  # closing alone also releases it

    @property
    def held(self) -> bool:
        """True while the lock's connection is open."""
        return self._conn is not None and not self._conn.closed
