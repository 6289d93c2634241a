"""Database connections of the HTTP service: one staging connection per request, opened on
first use and closed on teardown, and the reads the endpoints need (all SQL in sql/queries)."""

from __future__ import annotations

import time

from flask import Flask, current_app, g

from api.errors import ApiProblem
from loaders.connections import DatabaseUnavailable, DbSettings, connect, first_line
from loaders.execute import run_model
from sync import history
from sync.config import Config
from sync.status import SyncStatus

CONFLICT_READS = 10  # 409: reads of the running status, 50 ms apart
CONNECT_TIMEOUT = 3  # seconds: a status request must not hang on an unreachable database
KINDS = ("hourly", "master", "product", "sales", "manual")


def config() -> Config:
    """The service's configuration."""
    return current_app.config["JSSYNC"]


def staging():
    """This request's staging connection (opened on first use, closed on teardown)."""
    if "staging" not in g:
        g.staging = connect(config().staging, connect_timeout=CONNECT_TIMEOUT, application_name="jssync-api")
    return g.staging


def close(exc: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    conn = g.pop("staging", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close)


def ping(settings: DbSettings) -> str | None:
    """None when the target answers a query, else why not (no secret in it)."""
    try:
        conn = connect(settings, connect_timeout=CONNECT_TIMEOUT, application_name="jssync-api-ping")
    except DatabaseUnavailable as exc:
        return str(exc)
    try:
        with conn, conn.cursor() as cur:
            run_model(cur, "ping", settings.target, settings.prefix)
            cur.fetchall()
        return None
    except Exception as exc:  # any failure means "does not answer"; the message says which
        return f"{settings.describe()} does not answer queries: {first_line(exc)}"
    finally:
        conn.close()


# JSONB keeps keys sorted; answers give them in the Go service's order again.
_MASTER_KEYS = list(SyncStatus(kind="master").as_master_dict())
_HOURLY_KEYS = list(SyncStatus(kind="hourly").as_dict())


def _ordered(status: dict) -> dict:
    keys = _MASTER_KEYS if status.get("kind") == "master" else _HOURLY_KEYS
    first = {key: status[key] for key in keys if key in status}
    return {**first, **{key: value for key, value in status.items() if key not in first}}


def latest_status(kinds: tuple[str, ...] = KINDS) -> dict | None:
    """The status object of the newest run of `kinds`, running or finished, or None; a run whose
    process died is shown stopped early (sync.history)."""
    rows = history.read(staging(), config().staging.prefix, "latest_run", {"kinds": list(kinds)})
    return _ordered(rows[0]["status"]) if rows else None


def running_status() -> dict | None:
    """The status of the sync holding the lock (the newest run, when it says running), or None."""
    status = latest_status(KINDS)
    return status if status is not None and status.get("is_running") else None


def conflict(exc: Exception) -> ApiProblem:
    """409 for a sync refused because another one runs, with the running one's status."""
    status = None
    try:
        # The holder saves its status right after taking the lock; give it a moment to appear.
        for _ in range(CONFLICT_READS):
            status = running_status()
            if status is not None:
                break
            time.sleep(0.05)
    except Exception:  # the status is a courtesy: a failed read must not turn 409 into 5xx
        status = None
    return ApiProblem(409, f"{exc}", status=status if status is not None else getattr(exc, "status", None))
