"""What the benchmark parts share: fresh databases, landed data, statement counting, SQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import psycopg2.extensions

import loaders.connections
from extract import ALWAYS_CREATED, jungle_scout_source
from extract.client import JungleScoutClient
from extract.fetch import AsinWork, BatchFetcher
from extract.landing import LandedLoad, Landing
from extract.ratelimit import RateLimiter
from loaders.connections import DbSettings
from loaders.migrate import migrate
from loaders.render import quoted_table
from sandbox.postgres import PgServer, create_database, drop_database

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
API_KEY = "bench-key-0123456789"
MARKETPLACE = "us"
UNLIMITED = {"rate_per_minute": 1_000_000, "burst_per_second": 100_000}

_sql = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(BENCH_DIR)),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def sql_macros(template: str, prefix: str) -> Any:
    """The macros of bench/`template` (go_design.sql, checks.sql), with `table()` for `prefix`."""
    return _sql.get_template(template).make_module({"table": lambda name: quoted_table(prefix, name)})


def bench_asins(n: int, tag: str = "B") -> list[str]:
    """`n` valid ASINs the sandbox knows (B0 + tag + digits; no special sandbox prefix)."""
    width = 10 - 2 - len(tag)
    return [f"B0{tag}{i:0{width}d}" for i in range(n)]


# -- statements ---------------------------------------------------------------------------


class StatementCounter:
    """Round trips sent by counting cursors: execute() and COPY calls (BEGIN/COMMIT not counted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.count += n

    def take(self) -> int:
        """The count so far; starts again from zero."""
        with self._lock:
            count, self.count = self.count, 0
            return count


STATEMENTS = StatementCounter()


class CountingCursor(psycopg2.extensions.cursor):
    """A psycopg2 cursor that counts every statement it sends in STATEMENTS."""

    def execute(self, query: Any, vars: Any = None) -> None:  # noqa: A002 - psycopg2's name
        STATEMENTS.add()
        return super().execute(query, vars)

    def executemany(self, query: Any, vars_list: Any) -> None:
        vars_list = list(vars_list)
        STATEMENTS.add(len(vars_list))  # psycopg2 sends one statement per parameter set
        return super().executemany(query, vars_list)

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> None:
        STATEMENTS.add()
        return super().copy_expert(sql, file, size)


def counting_connect(settings: DbSettings, **kwargs: Any) -> Any:
    """loaders.connections.connect, with cursors that count their statements."""
    conn = _connect(settings, **kwargs)
    conn.cursor_factory = CountingCursor
    return conn


_connect = loaders.connections.connect


@contextlib.contextmanager
def counting_connections() -> Iterator[None]:
    """While inside, every connection the loaders open counts its statements (production too)."""
    loaders.connections.connect = counting_connect
    try:
        yield
    finally:
        loaders.connections.connect = _connect


# -- databases ----------------------------------------------------------------------------


@dataclass
class Databases:
    """A fresh staging and production database on `server`, dropped on exit."""

    server: PgServer
    tag: str

    def __post_init__(self) -> None:
        self.names = {target: f"jssync_bench_{os.getpid()}_{self.tag}_{target}" for target in ("staging", "production")}

    def __enter__(self) -> Databases:
        for name in self.names.values():
            create_database(self.server, name)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.names.values():
            drop_database(self.server, name)

    def settings(self, target: str, prefix: str, *, host: str | None = None, port: int | None = None) -> DbSettings:
        """Where `target` answers: the server itself, or a proxy in front of it."""
        return DbSettings(
            target=target,
            host=host or self.server.host,
            port=port or self.server.port,
            user=self.server.user,
            name=self.names[target],
            prefix=prefix,
            password=self.server.password or "",
        )

    def migrated(self, prefix: str) -> dict[str, DbSettings]:
        """Both targets migrated under `prefix`; their settings by target."""
        targets = {t: self.settings(t, prefix) for t in ("staging", "production")}
        for settings in targets.values():
            migrate(settings)
        return targets

    def env(self, prefix: str) -> dict[str, str]:
        """The DB_* variables of the contract for both targets."""
        return self.server.db_env(self.names, prefix)


def data_counts(settings: DbSettings) -> tuple[int, int, int]:
    """(product rows, sales rows, sum of units) in one target."""
    with loaders.connections.connection(settings) as conn, conn, conn.cursor() as cur:
        cur.execute(sql_macros("checks.sql", settings.prefix).data_counts())
        products, sales, units = cur.fetchone()
    return int(products), int(sales), int(units)


# -- landed data --------------------------------------------------------------------------


def land(
    base_url: str,
    directory: Path,
    asins: list[str],
    run_date: dt.date,
    *,
    date_range: str = "1year",
    landing: Landing | None = None,
) -> tuple[Landing, LandedLoad]:
    """Run the real extract (BatchFetcher -> dlt -> DuckDB) for new `asins`; the load it wrote."""
    landing = landing or Landing(directory)
    limiter = RateLimiter(UNLIMITED["rate_per_minute"], UNLIMITED["burst_per_second"])
    with JungleScoutClient(base_url, API_KEY, limiter) as client:
        fetcher = BatchFetcher(client, MARKETPLACE, run_date, date_range=date_range)
        batch = {
            "run_id": str(uuid.uuid4()),
            "kind": "bench",
            "marketplace": MARKETPLACE,
            "batch": 1,
            "asins": len(asins),
            "started_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        }
        work = fetcher.run([AsinWork(a) for a in asins])
        load = landing.land(jungle_scout_source(work, batch, create=ALWAYS_CREATED - landing.tables()))  # as a sync
    failed = [o for o in fetcher.outcomes.values() if o.failed]
    if failed:
        raise RuntimeError(f"extract for the benchmark failed for {len(failed)} ASINs: {failed[0].error}")
    return landing, load
