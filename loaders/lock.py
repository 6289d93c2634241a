"""The staging-side check of the one-sync lock, run inside the transactions that write."""

from __future__ import annotations

from loaders.execute import run_model


class LockLost(RuntimeError):
    """The session holding this run's lock has ended: the run must not write any more."""


def check_lock_held(cur, prefix: str, pid: int | None) -> None:
    """Raise LockLost unless the session `pid` still holds the sync lock of `prefix` (run on any
    staging cursor, e.g. inside a merge transaction, which the exception then rolls back)."""
    run_model(cur, "sync_lock_held", "staging", prefix, {"prefix": prefix, "pid": pid})
    if not cur.fetchone()[0]:
        raise LockLost(
            "this sync lost its one-sync lock (its staging session ended); stopping before writing anything more"
        )


class LockGuard:
    """A run's proof that it still holds the sync lock, for writes outside the staging merge
    (production's publish and catch-up, verify's repair): `conn` is a staging connection of the
    run, `pid` the session holding its lock."""

    def __init__(self, conn, prefix: str, pid: int | None):
        self.conn, self.prefix, self.pid = conn, prefix, pid

    def check_in(self, cur) -> None:
        """Raise LockLost unless the lock is held, on a staging cursor of the caller's transaction."""
        check_lock_held(cur, self.prefix, self.pid)

    def check(self) -> None:
        """Raise LockLost unless the lock is held (in a staging transaction of its own)."""
        with self.conn, self.conn.cursor() as cur:
            self.check_in(cur)
