"""The migrated schema `migrated` tests share: migrate once per session, empty it between tests
(DELETE and sequences reset: ~10 ms where TRUNCATE or a migration costs ~300 ms per test).

A test that changes the shared schema (adds a column, drops a table, replaces a function) is
detected by a catalogue fingerprint after it ends; the next test then gets a newly migrated prefix,
so no test ever sees another's schema or rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg2
from psycopg2 import sql

from loaders.connections import DbSettings
from loaders.migrate import migrate
from loaders.render import render
from sandbox.postgres import PgServer
from sync import config as config_mod

LEDGER = "jssync_schema_migrations"  # what migrate() records: kept, so the prefix stays migrated

# Everything under the prefix that a test could change: columns, constraints, indexes, functions.
FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, '|' ORDER BY item), '')) FROM (
    SELECT concat_ws(':', c.relname, c.relkind::text, a.attname, format_type(a.atttypid, a.atttypmod),
                     a.attnotnull::text, pg_get_expr(d.adbin, d.adrelid)) AS item
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND starts_with(c.relname, %(prefix)s)
    UNION ALL
    SELECT concat_ws(':', conname, pg_get_constraintdef(oid)) FROM pg_constraint
    WHERE starts_with(conname, %(prefix)s) OR starts_with(trim('"' FROM conrelid::regclass::text), %(prefix)s)
    UNION ALL
    SELECT concat_ws(':', p.proname, md5(pg_get_functiondef(p.oid))) FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND starts_with(p.proname, %(prefix)s)
) items
"""
RELATIONS = """
SELECT c.relname, c.relkind FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') AND starts_with(c.relname, %(prefix)s)
ORDER BY c.relname
"""
# Sessions a finished test left behind (a killed child's backend, an idle transaction, a held
# sync lock) would block the truncation or make the next test "busy": end them first.
LEFTOVER_SESSIONS = """
SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND (state IS DISTINCT FROM 'idle'
       OR pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted))
"""


class SharedSchema:
    """One migrated prefix in the session's staging and production databases."""

    def __init__(
        self, server: PgServer, databases: dict[str, str], new_prefix: Callable[[], str], product_fixture: Path
    ):
        self.server = server
        self.databases = databases
        self.new_prefix = new_prefix
        self.product_fixture = product_fixture
        self.prefix: str | None = None
        self.tables: dict[str, list[str]] = {}
        self.resets: dict[str, sql.Composed] = {}
        self.fingerprints: dict[str, str] = {}
        self.seeded = False  # a migration that inserts rows: truncation would lose them

    def _connect(self, target: str):
        conn = psycopg2.connect(self.server.dsn(self.databases[target]), options="-c TimeZone=UTC")
        conn.autocommit = True
        return conn

    def _settings(self, target: str, prefix: str) -> DbSettings:
        return DbSettings(
            target,
            self.server.host,
            self.server.port,
            self.server.user,
            self.databases[target],
            prefix,
            password=self.server.password or "",
        )

    def _fingerprint(self, conn, prefix: str) -> str:
        with conn.cursor() as cur:
            cur.execute(FINGERPRINT, {"prefix": prefix})
            return cur.fetchone()[0]

    def _build(self) -> str:
        prefix = self.new_prefix()
        for target in ("staging", "production"):
            migrate(self._settings(target, prefix))
            with self._connect(target) as conn, conn.cursor() as cur:
                if target == "staging":
                    cur.execute(render(str(self.product_fixture), "staging", prefix))
                cur.execute(RELATIONS, {"prefix": prefix})
                relations = cur.fetchall()
                names = [name for name, kind in relations if kind != "S" and name != prefix + LEDGER]
                sequences = [name for name, kind in relations if kind == "S"]
                for name in names:
                    cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(name)))
                    self.seeded = self.seeded or cur.fetchone()[0]
                self.tables[target] = names
                # Replica role: no foreign-key trigger cares about the order of the deletes.
                self.resets[target] = sql.Composed(
                    [
                        sql.SQL("SET session_replication_role = replica;"),
                        *(sql.SQL("DELETE FROM {};").format(sql.Identifier(t)) for t in names),
                        *(sql.SQL("SELECT setval({}, 1, false);").format(sql.Literal(f'"{q}"')) for q in sequences),
                        sql.SQL("RESET session_replication_role;"),
                    ]
                )
                self.fingerprints[target] = self._fingerprint(conn, prefix)
            conn.close()
        return prefix

    def checkout(self) -> str:
        """The shared prefix with every table empty (a new one when the last test changed it)."""
        if self.prefix is None or self.seeded:  # rows migrations wrote can't be truncated: migrate anew
            self.prefix = self._build()
            return self.prefix
        try:
            for target in ("staging", "production"):
                with self._connect(target) as conn, conn.cursor() as cur:
                    cur.execute("SET lock_timeout = '10s'")
                    cur.execute(LEFTOVER_SESSIONS)
                    cur.execute(self.resets[target])
                conn.close()
        except psycopg2.Error:
            self.prefix = self._build()  # could not empty it in time: start clean instead
        return self.prefix

    def serves(self, cfg: config_mod.Config) -> bool:
        """Whether `cfg` points both targets at the shared prefix in the session databases."""
        return all(
            s.prefix == self.prefix
            and s.name == self.databases[s.target]
            and s.host == self.server.host
            and s.port == self.server.port
            for s in (cfg.staging, cfg.production)
        )

    def checkin(self) -> None:
        """After a test: if it changed the schema, the next test gets a newly migrated prefix."""
        assert self.prefix is not None
        for target in ("staging", "production"):
            with self._connect(target) as conn:
                changed = self._fingerprint(conn, self.prefix) != self.fingerprints[target]
            conn.close()
            if changed:
                self.prefix = self._build()
                return
