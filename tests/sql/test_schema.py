"""sql/schema.sql is exactly what applying every migration to empty databases gives, on
whichever PostgreSQL the tests use (15 and 18 are both checked in CI and on laptops).

UPDATE_SNAPSHOTS=1 rewrites sql/schema.sql from the freshly migrated databases."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import sql as sql_package
from loaders.connections import DbSettings, connection
from loaders.migrate import migrate
from loaders.schema import dump, dump_targets, normalize
from sandbox.postgres import PgServer, create_database, drop_database
from tests.helpers import check_snapshot_mode

# The committed file in the source tree (tests run against an editable install).
SCHEMA = Path(str(sql_package.resource("schema.sql")))
PREFIXES = {"staging": "dev_az_", "production": "prod_az_"}


@pytest.fixture(scope="module")
def empty_targets(pg_server: PgServer) -> Iterator[dict[str, DbSettings]]:
    """A brand-new database per target, dropped afterwards."""
    settings = {}
    for target, prefix in PREFIXES.items():
        name = f"jssync_schema_{os.getpid()}_{target}"
        create_database(pg_server, name)
        settings[target] = DbSettings(
            target, pg_server.host, pg_server.port, pg_server.user, name, prefix, password=pg_server.password or ""
        )
    yield settings
    for target in settings.values():
        drop_database(pg_server, target.name)


def test_migrations_on_empty_databases_give_schema_sql(empty_targets: dict[str, DbSettings]) -> None:
    dumps = {}
    for target, settings in empty_targets.items():
        migrate(settings)
        with connection(settings) as conn:
            dumps[target] = (settings.prefix, dump(conn, settings.prefix))
    actual = dump_targets(dumps)
    if check_snapshot_mode(os.environ):  # refused under CI=true
        SCHEMA.write_text(actual)
    expected = SCHEMA.read_text()
    diff = "".join(
        difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "sql/schema.sql", "migrated databases")
    )
    assert actual == expected, (
        "the migrations no longer give sql/schema.sql; if intended, run `make snapshots` and commit the file\n" + diff
    )


def test_schema_sql_is_stable_when_migrated_again(empty_targets: dict[str, DbSettings]) -> None:
    # Migrations are idempotent: a second `migrate` applies nothing and changes nothing. (The first
    # applies nothing either when the test above ran first on this worker: no test relies on order.)
    for settings in empty_targets.values():
        migrate(settings)
        with connection(settings) as conn:
            first = dump(conn, settings.prefix)
        assert migrate(settings).applied == []
        with connection(settings) as conn:
            assert dump(conn, settings.prefix) == first
        assert first in SCHEMA.read_text()


@pytest.mark.parametrize(
    ("deparsed", "expected"),
    [
        ("timezone('UTC'::text, now())", "(now() AT TIME ZONE 'UTC'::text)"),
        ("(now() AT TIME ZONE 'UTC'::text)", "(now() AT TIME ZONE 'UTC'::text)"),
        (
            "p_now timestamp without time zone DEFAULT timezone('UTC'::text, now())",
            "p_now timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text)",
        ),
        ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
    ],
)
def test_normalize_writes_one_form_for_every_version(deparsed: str, expected: str) -> None:
    assert normalize(deparsed) == expected
