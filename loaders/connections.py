"""Connections to the two PostgreSQL targets: settings, connect, and what a failure means."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg2
import psycopg2.extensions

from extract.text import first_line
from loaders.render import check_prefix

# Errors after which the whole transaction may succeed if simply run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


@dataclass(frozen=True)
class DbSettings:
    """Where one target lives. `password` never shows in repr()."""

    target: str
    host: str
    port: int
    user: str
    name: str
    prefix: str
    password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        check_prefix(self.prefix)

    def describe(self) -> str:
        """A secret-free label for logs: target, host, port and database."""
        return f"{self.target} ({self.host}:{self.port}/{self.name})"


class DatabaseUnavailable(RuntimeError):
    """A target could not be reached; the message names the target, never a secret."""


def connect(settings: DbSettings, *, connect_timeout: int = 5, application_name: str = "jssync"):
    """Open a connection to `settings` with TimeZone=UTC, so CURRENT_TIMESTAMP defaults are UTC."""
    try:
        conn = psycopg2.connect(
            host=settings.host,
            port=settings.port,
            user=settings.user,
            password=settings.password or None,
            dbname=settings.name,
            connect_timeout=connect_timeout,
            application_name=application_name,
            options="-c TimeZone=UTC",
            # Dead peers must not hang a sync: TCP keepalives notice within about a minute.
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
    except psycopg2.OperationalError as exc:
        raise DatabaseUnavailable(f"{settings.describe()} is unreachable: {first_line(exc)}") from exc
    return conn


@contextlib.contextmanager
def connection(settings: DbSettings, **kwargs) -> Iterator[psycopg2.extensions.connection]:
    """`connect` as a context manager that always closes."""
    conn = connect(settings, **kwargs)
    try:
        yield conn
    finally:
        conn.close()


def is_retryable(exc: BaseException) -> bool:
    """True for deadlocks and serialization failures: run the whole transaction again."""
    return getattr(exc, "pgcode", None) in RETRYABLE_SQLSTATES
