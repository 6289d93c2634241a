"""Reading staging's run history (`jssync_runs`), with the one rule for a dead run.

A run saves its status as running under the sync lock and closes it when it ends; a row still
saying running while no session holds the lock its run took (its `lock_pid`) was left by a
process that died (killed, crashed, restarted). Every reader (the status endpoints, /admin/runs
and the dashboard, `jssync runs`) shows such a run stopped early, through `read` here; the
stored row is left as it is.
"""

from __future__ import annotations

from loaders.execute import run_model

DIED = (
    "The process running this sync ended before it finished (killed, crashed or restarted); "
    "a master sync continues with sync_mode=resume"
)


def lock_held(conn, prefix: str, pid: int | None = None) -> bool:
    """True while some session (or the backend `pid`) holds the one-sync lock of `prefix`."""
    with conn, conn.cursor() as cur:
        run_model(cur, "sync_lock_held", "staging", prefix, {"prefix": prefix, "pid": pid})
        return bool(cur.fetchone()[0])


def _rows(conn, prefix: str, query: str, params: dict | None) -> list[dict]:
    with conn, conn.cursor() as cur:
        run_model(cur, query, "staging", prefix, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def read(conn, prefix: str, query: str, params: dict | None = None) -> list[dict]:
    """The rows of a run-history query (`latest_run`, `recent_runs`: columns run_id, outcome and
    status, the status object) by column name, each run a dead process left running shown
    stopped: outcome `stopped`, and in its status object is_running false, stopped_early true
    and a stop_reason saying what happened (DIED)."""
    rows = _rows(conn, prefix, query, params)
    dead = {
        row["run_id"]
        for row in rows
        if row["status"].get("is_running") and not lock_held(conn, prefix, row["status"].get("lock_pid"))
    }
    if not dead:
        return rows
    # Read again: a run may have finished between the two reads.
    rows = _rows(conn, prefix, query, params)
    for row in rows:
        if row["run_id"] in dead and row["status"].get("is_running"):
            row["outcome"] = "stopped"
            if "stop_reason" in row:
                row["stop_reason"] = DIED
            row["status"].update(is_running=False, stopped_early=True, stop_reason=DIED, outcome="stopped")
    return rows
