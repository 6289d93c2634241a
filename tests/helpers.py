"""Test-side helpers: plain SQL to look at what the service wrote, and seeding."""

from __future__ import annotations

import psycopg2

from sync import config as config_mod


class Db:
    """Test-side access to one target: plain SQL to look at what the service wrote."""

    def __init__(self, cfg: config_mod.Config, target: str):
        self.settings = cfg.staging if target == "staging" else cfg.production
        self.prefix = self.settings.prefix

    def t(self, name: str) -> str:
        return f'"{self.prefix}{name}"'

    def rows(self, query: str, params: tuple | dict = ()) -> list[tuple]:
        with psycopg2.connect(host=self.settings.host, port=self.settings.port, user=self.settings.user,
                              password=self.settings.password or None, dbname=self.settings.name,
                              options="-c TimeZone=UTC") as conn, conn.cursor() as cur:
            cur.execute(query.replace("{p}", self.prefix), params)
            result = cur.fetchall() if cur.description else []
        conn.close()
        return result

    def execute(self, query: str, params: tuple | dict = ()) -> None:
        self.rows(query, params)

    def scalar(self, query: str, params: tuple | dict = ()) -> object:
        return self.rows(query, params)[0][0]


def connect(cfg: config_mod.Config, target: str):
    settings = cfg.staging if target == "staging" else cfg.production
    conn = psycopg2.connect(host=settings.host, port=settings.port, user=settings.user,
                            password=settings.password or None, dbname=settings.name,
                            options="-c TimeZone=UTC")
    conn.autocommit = True
    return _Closing(conn)


class _Closing:
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


def seed(db: Db, asins: list[str], visible: bool = True) -> None:
    """Add ASINs to staging's product table."""
    for asin in asins:
        db.execute("INSERT INTO \"{p}product\" (asin, product_visibility) VALUES (%s, %s)", (asin, visible))


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (for an unreachable database)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jssync_process(args: list[str], env: dict[str, str], **popen: object):
    """Start the installed `jssync` console script with exactly `env` (plus PATH, HOME and the
    retry wait scale the tests run at); returns the Popen. stdin is /dev/null unless given."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("jssync")
    inherited = {name: os.environ[name] for name in ("PATH", "HOME", "JSSYNC_RETRY_WAIT_SCALE")
                 if name in os.environ}
    popen.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen([str(exe), *args], env={"HOME": "/root", **inherited, **env}, **popen)


def jssync(args: list[str], env: dict[str, str], timeout: float = 120):
    """Run `jssync` to the end (see jssync_process); returns CompletedProcess with text output."""
    import subprocess

    with jssync_process(args, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


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
