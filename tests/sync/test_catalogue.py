"""The configurable catalogue (issue 19 item 1), on a real PostgreSQL with the sandbox API: the
owner's layout (a meta table naming the active ASIN table), a switch of that table, and every
catalogue problem stopping a run before anything is touched, with the setting to fix named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api import create_app
from loaders.catalogue import Catalogue, CatalogueError, CatalogueSettings, resolve
from sync import config as config_mod
from sync import plan
from sync.hourly import run_hourly
from tests.api.support import JWT_SECRET, admin
from tests.helpers import Db, connect, run_cli, seed

OWNER = {"CATALOGUE_TABLE_FROM": "frontend_asin", "CATALOGUE_VISIBILITY_COLUMN": "asin_visibility"}


def tracked(staging: Db) -> list[str]:
    return [r[0] for r in staging.rows('SELECT asin FROM "{p}jungle_scout_sync_status" ORDER BY asin')]


@pytest.fixture
def owner_tables(staging: Db) -> Iterator[Db]:
    """The owner's layout under the test's prefix: {p}frontend_asin(table_name) naming one of
    {p}asin_1 / {p}asin_2 (asin, asin_visibility). Dropped afterwards, so the shared schema is
    left as it was."""
    staging.execute(
        'CREATE TABLE "{p}frontend_asin" (id serial PRIMARY KEY, table_name text);'
        'CREATE TABLE "{p}asin_1" (asin varchar(20), asin_visibility boolean NOT NULL DEFAULT true);'
        'CREATE TABLE "{p}asin_2" (asin varchar(20), asin_visibility boolean NOT NULL DEFAULT true)'
    )
    yield staging
    staging.execute('DROP TABLE IF EXISTS "{p}frontend_asin", "{p}asin_1", "{p}asin_2", "{p}asin_3"')


def owner_config(env: dict[str, str], **more: str) -> config_mod.Config:
    return config_mod.load({**env, **OWNER, **more}, needs=["db", "api", "http"])


def fill(db: Db, table: str, visible: list[str], hidden: list[str] = ()) -> None:
    db.execute(
        f'INSERT INTO "{{p}}{table}" (asin, asin_visibility) '
        "SELECT unnest(%s::text[]), true UNION ALL SELECT unnest(%s::text[]), false",
        (visible, list(hidden)),
    )


def point_at(db: Db, table: str) -> None:
    db.execute('DELETE FROM "{p}frontend_asin"')
    db.execute('INSERT INTO "{p}frontend_asin" (table_name) VALUES (%s)', (db.prefix + table,))


def test_the_owners_layout_then_a_switch_of_the_active_table(migrated, owner_tables, production, env, sandbox):
    staging = owner_tables
    cfg = owner_config(env, JWT_SECRET=JWT_SECRET)
    seed(staging, ["B0SEEDPR01"])  # the seed's product table is not the catalogue any more
    fill(staging, "asin_1", ["B0OWNER001", "B0OWNER002", "B0OWNER003"], hidden=["B0OWNERHID"])
    fill(staging, "asin_2", ["B0OWNER001", "B0OWNER004"], hidden=["B0OWNER002"])  # 003 left the site
    point_at(staging, "asin_1")

    first = run_hourly(cfg, "us")
    assert not first.stopped_early, first.stop_reason
    assert first.catalogue == {
        "table": staging.prefix + "asin_1",
        "asin_column": "asin",
        "visibility_column": "asin_visibility",
        "table_from": staging.prefix + "frontend_asin",
        "switched_from": None,
    }
    assert first.new_asins_added == 3 and tracked(staging) == ["B0OWNER001", "B0OWNER002", "B0OWNER003"]
    assert first.successful_product_sync == 3
    assert production.scalar('SELECT count(DISTINCT asin) FROM "{p}jungle_scout_product_data"') == 3

    point_at(staging, "asin_2")  # the owner's switch: one row changed, read at the next run's start
    # From here the month's budget is spent (what the first run used): the runs clean up and add
    # new ASINs, then call no API (a cheaper test; the fetch path is the same as above).
    cfg = owner_config(env, JWT_SECRET=JWT_SECRET, JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET=str(first.total_api_calls))
    second = run_hourly(cfg, "us")
    assert not second.stopped_early, second.stop_reason
    assert second.catalogue["table"] == staging.prefix + "asin_2"
    assert second.catalogue["switched_from"] == staging.prefix + "asin_1"
    # 002 is hidden in the new table; 003 was shown by the old one and is not by the new one.
    assert second.cleaned_up_asins == 2 and second.new_asins_added == 1
    assert tracked(staging) == ["B0OWNER001", "B0OWNER004"]

    third = run_hourly(cfg, "us")  # the switch is done: an ordinary run
    assert third.catalogue["switched_from"] is None and third.cleaned_up_asins == 0
    assert tracked(staging) == ["B0OWNER001", "B0OWNER004"]

    # The other readers follow the same catalogue: the plan (and its simulation) and the
    # freshness endpoint the dashboard draws (the rest: tests/sql/test_catalogue_readers.py).
    with connect(cfg, "staging") as conn:
        conn.autocommit = False
        assert plan.make_plan(conn, cfg)["visible_asins"] == 2
        assert len(plan.simulate(conn, cfg, 1)) == 1
    client = create_app(cfg).test_client()
    answer = client.get("/admin/freshness", headers=admin())
    assert answer.status_code == 200 and answer.get_json()["visible_asins"] == 2


def test_a_switch_to_a_table_not_filled_yet_waits_for_it(migrated, owner_tables, env, sandbox):
    staging = owner_tables
    # The month's budget is spent: the runs clean up and add new ASINs, then call no API.
    cfg = owner_config(env, JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET="1")
    staging.execute(
        'INSERT INTO "{p}jssync_api_usage" (day, endpoint, marketplace, requests) '
        "VALUES ((now() AT TIME ZONE 'UTC')::date, 'sales', 'us', 1)"
    )
    fill(staging, "asin_1", ["B0WAIT0001", "B0WAIT0002"])
    point_at(staging, "asin_1")
    assert run_hourly(cfg, "us").new_asins_added == 2
    staging.execute('CREATE TABLE "{p}asin_3" (asin varchar(20), asin_visibility boolean)')
    point_at(staging, "asin_3")  # switched before the new table was filled

    empty = run_hourly(cfg, "us")
    assert empty.cleaned_up_asins == 0 and tracked(staging) == ["B0WAIT0001", "B0WAIT0002"]

    fill(staging, "asin_3", ["B0WAIT0002"])
    filled = run_hourly(cfg, "us")
    assert filled.catalogue["switched_from"] == staging.prefix + "asin_1"
    assert filled.cleaned_up_asins == 1 and tracked(staging) == ["B0WAIT0002"]


@pytest.mark.parametrize(
    ("settings", "setup", "says"),
    [
        ({"CATALOGUE_TABLE": "products"}, None, ["catalogue table {p}products does not exist", "CATALOGUE_TABLE"]),
        (
            {"CATALOGUE_ASIN_COLUMN": "the_asin"},
            None,
            ["{p}product has no column the_asin", "CATALOGUE_ASIN_COLUMN", "its columns: asin, id, product_visibility"],
        ),
        (
            {"CATALOGUE_VISIBILITY_COLUMN": "asin"},
            None,
            ["{p}product.asin is not a boolean column", "CATALOGUE_VISIBILITY_COLUMN"],
        ),
        (OWNER, None, ["meta table {p}frontend_asin does not exist", "CATALOGUE_TABLE_FROM"]),
        (OWNER, [], ["{p}frontend_asin names no active table"]),
        (OWNER, ["{p}asin_9"], ["catalogue table {p}asin_9 does not exist", "{p}frontend_asin.table_name"]),
        (OWNER, ["{p}asin_1", "{p}asin_2"], ["names more than one active table"]),
        (OWNER, ["x; DROP TABLE {p}product; --"], ["{p}frontend_asin.table_name holds", "not a table name"]),
    ],
    ids=[
        "table-missing",
        "asin-column-missing",
        "visibility-not-boolean",
        "meta-table-missing",
        "meta-table-empty",
        "meta-names-a-missing-table",
        "meta-names-two-tables",
        "meta-names-sql",
    ],
)
def test_a_catalogue_problem_stops_the_run_before_anything_is_touched(
    migrated, staging, production, env, sandbox, settings, setup, says
):
    seed(staging, ["B0UNTOUCH1"])
    if setup is not None:
        staging.execute('CREATE TABLE "{p}frontend_asin" (table_name text)')
        for name in setup:
            staging.execute('INSERT INTO "{p}frontend_asin" VALUES (%s)', (name.replace("{p}", staging.prefix),))
    try:
        cfg = config_mod.load({**env, **settings}, needs=["db", "api", "http"])
        status = run_hourly(cfg, "us")
    finally:
        staging.execute('DROP TABLE IF EXISTS "{p}frontend_asin"')
    assert status.stopped_early
    for text in says:
        assert text.replace("{p}", staging.prefix) in status.stop_reason
    assert status.total_api_calls == 0 and sandbox.stats()["requests"] == 0
    assert tracked(staging) == []  # no cleanup, no add-new
    assert staging.scalar('SELECT count(*) FROM "{p}product"') == 1  # the catalogue is never altered


def test_the_command_line_names_the_setting_and_exits_non_zero(migrated, staging, env, sandbox):
    result = run_cli(["hourly", "--json"], {**env, "CATALOGUE_TABLE": "nope"})
    assert result.returncode == 1
    assert f"the catalogue table {staging.prefix}nope does not exist" in result.stdout
    assert "set CATALOGUE_TABLE" in result.stdout


def test_sql_in_a_catalogue_setting_is_refused_before_any_connection(env):
    result = run_cli(["hourly"], {**env, "CATALOGUE_ASIN_COLUMN": "asin = asin OR true --", "DB_STAGING_PORT": "1"})
    assert result.returncode == 2
    assert "CATALOGUE_ASIN_COLUMN='asin = asin OR true --' is invalid" in result.stderr


def test_resolve_reads_the_meta_table_anew_and_a_view_works(migrated, owner_tables):
    staging = owner_tables
    staging.execute('CREATE VIEW "{p}asin_view" AS SELECT asin AS code, asin_visibility AS shown FROM "{p}asin_1"')
    try:
        settings = CatalogueSettings(table_from="frontend_asin", asin_column="code", visibility_column="shown")
        point_at(staging, "asin_view")
        with connect(migrated, "staging") as conn:
            conn.autocommit = False
            found = resolve(conn, staging.prefix, settings)
        assert found == Catalogue(
            staging.prefix + "asin_view", "code", "shown", table_from=staging.prefix + "frontend_asin"
        )
        point_at(staging, "asin_2")
        with connect(migrated, "staging") as conn, pytest.raises(CatalogueError, match="has no column code"):
            conn.autocommit = False
            resolve(conn, staging.prefix, settings)
    finally:
        staging.execute('DROP VIEW "{p}asin_view"')
