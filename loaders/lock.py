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
