"""Running SQL against a target: rendered models, COPY in and out, retried transactions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import IO, TypeVar

import tenacity
from psycopg2 import sql

from extract import retrying
from loaders.connections import first_line, is_retryable
from loaders.render import render

log = logging.getLogger("jssync.loaders")
T = TypeVar("T")
DEADLOCK_PAUSE = 0.05  # seconds before the second run; twice that before the third


def run_model(cur, name: str, target: str, prefix: str, params: dict | None = None, **context: object) -> None:
    """Render model `name` for the cursor's target and execute it (with psycopg2 params)."""
    cur.execute(render(name, target, prefix, **context), params)


def copy_in(cur, table: str, columns: Sequence[str], source: IO) -> int:
    """COPY CSV rows from `source` into `table` (a temporary input table); returns the row count."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cur.copy_expert(statement, source)
    return cur.rowcount


def copy_out(cur, query: str, params: dict | None, sink: IO) -> int:
    """COPY the rows of `query` (with params bound) to `sink` as CSV; returns the row count."""
    bound = cur.mogrify(query, params).decode()
    cur.copy_expert(f"COPY ({bound}) TO STDOUT WITH (FORMAT csv)", sink)
    return cur.rowcount


def in_transaction(
    conn, work: Callable[[object], T], *, attempts: int = 3, what: str = "transaction", pause: float = DEADLOCK_PAUSE
) -> T:
    """Run `work(cursor)` in one transaction; a deadlock or serialization failure reruns it whole
    (up to `attempts` runs, `pause` x the attempt number apart)."""

    def note(state: tenacity.RetryCallState) -> None:
        log.warning(
            "%s hit %s; running it again (attempt %d of %d)",
            what,
            first_line(state.outcome.exception()),
            state.attempt_number + 1,
            attempts,
        )

    for attempt in retrying.policy(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_incrementing(pause, pause),
        retry=tenacity.retry_if_exception(is_retryable),
        before_sleep=note,
    ):
        with attempt, conn, conn.cursor() as cur:
            return work(cur)
    raise AssertionError("unreachable: the policy re-raises the last error")
