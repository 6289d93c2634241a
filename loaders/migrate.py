"""Migrations: sql/migrations/NNNN_*.sql, rendered per target, each in its own transaction."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable

import sql as sql_package
from extract.text import first_line
from loaders.connections import DbSettings, connection
from loaders.execute import run_model
from loaders.render import render

log = logging.getLogger("jssync.migrate")
_NUMBERED = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """A migration that failed, or an applied file that was changed afterwards."""


@dataclass(frozen=True)
class MigrationResult:
    """What `migrate` did to one target."""

    target: str
    applied: list[str]
    already: int


def migration_files(directory: Traversable | None = None) -> list[Traversable]:
    """The numbered migration files (sql/migrations/ unless told otherwise), in apply order."""
    folder = sql_package.resource("migrations") if directory is None else directory
    return sorted((p for p in folder.iterdir() if _NUMBERED.match(p.name)), key=lambda p: p.name)


def _has_statements(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def checksum(path: Traversable) -> str:
    """SHA-256 of the file as written (the template, not its rendering)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def migrate(settings: DbSettings) -> MigrationResult:
    """Apply pending migrations to one target; refuse if an applied file has changed.

    Every statement is a template: the ledger (`sql/migrations/ledger.sql`), the lock and the
    ledger reads and writes (`sql/queries/migration_*.sql`) and the migrations themselves."""
    target, prefix = settings.target, settings.prefix
    applied: list[str] = []
    already = 0
    with connection(settings, application_name="jssync-migrate") as conn:
        with conn, conn.cursor() as cur:
            run_model(cur, "migration_lock", target, prefix, {"prefix": prefix})
            run_model(cur, "ledger", target, prefix)
        for path in migration_files():
            digest = checksum(path)
            with conn, conn.cursor() as cur:
                # Serialise concurrent migrators; the second one finds the work done.
                run_model(cur, "migration_lock", target, prefix, {"prefix": prefix})
                run_model(cur, "migration_checksum", target, prefix, {"filename": path.name})
                row = cur.fetchone()
                if row is not None:
                    if row[0] != digest:
                        raise MigrationError(
                            f"{target}: migration {path.name} was changed after it was applied "
                            f"(recorded checksum {row[0][:12]}…, file now {digest[:12]}…); add a new "
                            "migration instead of editing an applied one"
                        )
                    already += 1
                    continue
                text = render(path.name, target, prefix)
                try:
                    if _has_statements(text):  # a staging-only file renders empty for production
                        cur.execute(text)  # no parameters: a `%` in the text stays as written
                except Exception as exc:
                    raise MigrationError(f"{target}: migration {path.name} failed: {first_line(exc)}") from exc
                run_model(cur, "migration_record", target, prefix, {"filename": path.name, "checksum": digest})
                applied.append(path.name)
                log.info("%s: applied %s", target, path.name)
    return MigrationResult(target, applied, already)
