"""Test-side helpers: plain SQL to look at what the service wrote, and seeding."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator

import psycopg2

from loaders import connections
from sync import config as config_mod
from sync.status import SyncStatus, utcnow

# Tests' own sessions, told apart from the service's (jssync-*) in pg_stat_activity.
APPLICATION_NAME = "pytest"


class Db:
    """Test-side access to one target: plain SQL to look at what the service wrote.

    One autocommit connection for the object's life (a connection per query cost ~7 ms, and some
    tests ask hundreds of questions); each call is its own transaction, as before. Closed by
    close() (the `staging`/`production` fixtures) or when the object goes."""

    def __init__(self, cfg: config_mod.Config, target: str):
        self.settings = cfg.staging if target == "staging" else cfg.production
        self.prefix = self.settings.prefix
        self._conn = None

    def t(self, name: str) -> str:
        return f'"{self.prefix}{name}"'

    def _connect(self):
        conn = connections.connect(self.settings, application_name=APPLICATION_NAME)
        conn.autocommit = True
        return conn

    def rows(self, query: str, params: tuple | dict = ()) -> list[tuple]:
        fresh = self._conn is None or self._conn.closed
        if fresh:
            self._conn = self._connect()
        try:
            with self._conn.cursor() as cur:
                cur.execute(query.replace("{p}", self.prefix), params)
                return cur.fetchall() if cur.description else []
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            if fresh or not self._conn.closed:
                raise
            # The kept connection was ended while idle (a test ended sessions): ask again on a new one.
            self._conn = None
            return self.rows(query, params)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def execute(self, query: str, params: tuple | dict = ()) -> None:
        self.rows(query, params)

    def scalar(self, query: str, params: tuple | dict = ()) -> object:
        return self.rows(query, params)[0][0]


@contextlib.contextmanager
def connect(cfg: config_mod.Config, target: str) -> Iterator[psycopg2.extensions.connection]:
    """An autocommit connection to the target (as the service connects), closed on leaving."""
    settings = cfg.staging if target == "staging" else cfg.production
    with connections.connection(settings, application_name=APPLICATION_NAME) as conn:
        conn.autocommit = True
        yield conn


def seed(db: Db, asins: list[str], visible: bool = True) -> None:
    """Add ASINs to staging's product table (in the order given: one statement)."""
    db.execute(
        'INSERT INTO "{p}product" (asin, product_visibility) '
        "SELECT asin, %s FROM unnest(%s::text[]) WITH ORDINALITY AS given (asin, n) ORDER BY n",
        (visible, list(asins)),
    )


# The sync_status columns the sync tests read; each test names the others it needs.
SYNC_STATUS_COLUMNS = (
    "has_product_data",
    "has_sales_data",
    "error",
    "product_data_synced_at",
    "sales_estimate_data_synced_at",
)


def sync_status(db: Db, asin: str, *more: str) -> dict:
    """The ASIN's jungle_scout_sync_status row by column name (SYNC_STATUS_COLUMNS, then `more`);
    {} when it has none."""
    cols = (*SYNC_STATUS_COLUMNS, *more)
    rows = db.rows(f'SELECT {", ".join(cols)} FROM "{{p}}jungle_scout_sync_status" WHERE asin = %s', (asin,))
    return dict(zip(cols, rows[0], strict=True)) if rows else {}


def insert_dead_run(db: Db, run_id: str) -> None:
    """The jssync_runs row of an hourly run whose process was killed: started now, still running."""
    status = SyncStatus(kind="hourly", run_id=run_id, started_at=utcnow(), is_running=True)
    db.execute(
        'INSERT INTO "{p}jssync_runs" (run_id, kind, marketplace, started_at, outcome, status) '
        "VALUES (%s, 'hourly', 'us', now() AT TIME ZONE 'UTC', 'running', %s)",
        (run_id, json.dumps(status.as_dict())),
    )


def check_snapshot_mode(environ) -> bool:
    """Whether snapshot tests rewrite their snapshots (UPDATE_SNAPSHOTS=1). Refused under CI (CI set
    and not false/0): a rewritten snapshot always matches, so CI would pass by construction."""
    import pytest

    if environ.get("UPDATE_SNAPSHOTS", "") not in ("", "0"):
        if environ.get("UPDATE_SNAPSHOTS") != "1":
            raise pytest.UsageError(f"UPDATE_SNAPSHOTS={environ['UPDATE_SNAPSHOTS']!r}: allowed are 1 or unset")
        if environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            raise pytest.UsageError(
                "UPDATE_SNAPSHOTS=1 is refused under CI: rewritten snapshots always "
                "match. Run `make snapshots` locally, review the diff and commit it"
            )
        return True
    return False


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (for an unreachable database)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jssync_command() -> list[str]:
    """argv[0..] that starts the installed `jssync` console script (one place for its path)."""
    import sys
    from pathlib import Path

    return [str(Path(sys.executable).with_name("jssync"))]


def jssync_process(args: list[str], env: dict[str, str], *, wrapper: tuple[str, ...] = (), **popen: object):
    """Start the `jssync` console script as a child with exactly `env` (plus PATH and HOME); for the
    tests where the process boundary is the point (exit codes, SIGKILL, two processes at once).
    `wrapper` goes before the command (e.g. `unshare --pid --fork`, to run it as a PID 1).
    Defaults: stdin closed, stdout and stderr piped as text; `popen` overrides them."""
    import os
    import subprocess

    inherited = {name: os.environ[name] for name in ("PATH", "HOME", "JSSYNC_RETRY_WAIT_SCALE") if name in os.environ}
    full = {"HOME": "/root", **inherited, **env}
    options: dict = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "text": True,
        **popen,
    }
    return subprocess.Popen([*wrapper, *jssync_command(), *args], env=full, **options)


def jssync(args: list[str], env: dict[str, str], timeout: float = 120):
    """Run the `jssync` console script with exactly `env` (plus PATH); returns CompletedProcess."""
    import subprocess

    with jssync_process(args, env) as child:
        try:
            out, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


API_KEY = "sandbox-key-0123456789"
_prefixes = itertools.count(1)


def new_prefix() -> str:
    """A table prefix no other test of this run uses."""
    import os

    return f"t{os.getpid() % 10000}_{next(_prefixes)}_"


def environment(server, databases: dict[str, str], base_url: str, prefix: str, landing_dir) -> dict[str, str]:
    """A complete, valid environment: both targets on `server` under `prefix`, the sandbox API at
    `base_url` with generous limits, landing in `landing_dir`."""
    values = {
        "JUNGLE_SCOUT_API_KEY": API_KEY,
        "JUNGLE_SCOUT_BASE_URL": base_url,
        "JUNGLE_SCOUT_RATE_PER_MINUTE": "100000",
        "JUNGLE_SCOUT_BURST_PER_SECOND": "10000",
        "LANDING_DIR": str(landing_dir),
        "JWT_SECRET": "jwt-secret-for-tests-0123456789",
        "SYNC_API_KEY": "sync-api-key-for-tests-0123456789",
        "PORT": "8080",
    }
    values.update(server.db_env(databases, prefix))
    return values


def migrate_targets(cfg: config_mod.Config) -> config_mod.Config:
    """Migrate both targets of `cfg` and give staging the site's (empty) product table."""

    from loaders.migrate import migrate
    from loaders.render import render

    migrate(cfg.staging)
    migrate(cfg.production)
    with connect(cfg, "staging") as conn, conn.cursor() as cur:
        cur.execute(render("fixtures/product.sql", "staging", cfg.staging.prefix))
    return cfg


class kept_logging:  # noqa: N801 (used like contextlib's lower-case managers)
    """The handlers, level and propagation of the `jssync` logger and of the libraries' loggers
    logs.setup() configures put back as they were on exit."""

    def __enter__(self) -> None:
        import logging

        from sync import logs

        self.loggers = [logging.getLogger(name or None) for name in (logs.ROOT, *logs.LIBRARY_LOGGERS)]
        self.saved = [(list(lg.handlers), lg.level, lg.propagate) for lg in self.loggers]

    def __exit__(self, *exc: object) -> None:
        for logger, (handlers, level, propagate) in zip(self.loggers, self.saved, strict=True):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            for handler in handlers:
                logger.addHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


def cli_entry():
    """The CLI's console entry point (the one import to change when the CLI moves)."""
    from cli.main import script

    return script


def run_cli(args: list[str], env: dict[str, str]):
    """Run a `jssync` command in this process, as the console script would with exactly `env` (plus
    PATH and HOME) as its environment; returns a CompletedProcess (returncode, stdout, stderr).
    Faster than a child by the interpreter and import start-up; logging is restored afterwards."""
    import contextlib
    import io
    import os
    import subprocess
    import sys

    script = cli_entry()
    saved_env, saved_argv = dict(os.environ), sys.argv
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    try:
        os.environ.clear()
        os.environ.update({"PATH": saved_env.get("PATH", ""), "HOME": saved_env.get("HOME", "/root"), **env})
        sys.argv = ["jssync", *args]
        with kept_logging(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                script()
            except SystemExit as exc:
                code = exc.code
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed to stderr, exit 1
        err.write(f"{code}\n")
        code = 1
    return subprocess.CompletedProcess(["jssync", *args], code, out.getvalue(), err.getvalue())


def at_once(*calls):
    """Run every callable in a thread of its own, all released together; returns their results
    in the order given (an exception in one is raised here)."""
    import threading

    gate = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call) -> None:
        gate.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]
    return results


class FakeClock:
    """Time that moves only when the code under test sleeps or the test says so (a RateLimiter's
    `clock` and `sleep`)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 1e-9)


def wait_for(condition, timeout: float = 30.0, what: str = "condition", interval: float = 0.05) -> object:
    """Poll `condition` until it returns something true (returned); fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} ({timeout} s)")
        time.sleep(interval)
