"""The SQL data tests (sql/tests/): each passes on clean data and fails on a row made to break it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from loaders.datatests import discover, parse, run_tests
from loaders.render import RenderError
from tests.helpers import Db, run_cli

SALES = '"{p}jungle_scout_sales_estimate_data"'
PRODUCTS = '"{p}jungle_scout_product_data"'
YESTERDAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def clean(staging: Db, production: Db) -> None:
    """A product and three consecutive days of sales on both targets, with matching sync_status."""
    for db in (staging, production):
        db.execute(
            f"INSERT INTO {PRODUCTS} (asin, report_date, title, price) VALUES ('B0DATATST1', %s, 't', 9.5)",
            (YESTERDAY,),
        )
        for days in range(3):
            db.execute(
                f"INSERT INTO {SALES} (asin, marketplace, date, estimated_units_sold, last_known_price) "
                "VALUES ('B0DATATST1', 'us', %s, 4, 9.5)",
                (YESTERDAY - dt.timedelta(days=days),),
            )
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data) '
        "VALUES ('B0DATATST1', true, true)"
    )


def drop_keys(db: Db, table: str) -> None:
    """Take a table's primary key away, as on a table restored without it."""
    name = table.strip('"').replace("{p}", db.prefix)
    db.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}_pkey"')


BREAKERS = {
    "product_data_keys_unique": lambda s: (
        drop_keys(s, PRODUCTS),
        s.execute(f"INSERT INTO {PRODUCTS} (asin, report_date) VALUES ('B0DATATST1', %s)", (YESTERDAY,)),
    ),
    "sales_estimate_data_keys_unique": lambda s: (
        drop_keys(s, SALES),
        s.execute(f"INSERT INTO {SALES} (asin, marketplace, date) VALUES ('B0DATATST1', 'us', %s)", (YESTERDAY,)),
    ),
    "product_data_required_not_null": lambda s: s.execute(
        f"INSERT INTO {PRODUCTS} (asin, report_date) VALUES ('', %s)", (YESTERDAY,)
    ),
    "sales_estimate_data_required_not_null": lambda s: (
        drop_keys(s, SALES),
        s.execute(f"ALTER TABLE {SALES} ALTER COLUMN marketplace DROP NOT NULL"),
        s.execute(f"INSERT INTO {SALES} (asin, marketplace, date) VALUES ('B0DATATST1', NULL, %s)", (YESTERDAY,)),
    ),
    "product_data_not_negative": lambda s: s.execute(f"UPDATE {PRODUCTS} SET price = -1"),
    "sales_estimate_data_not_negative": lambda s: s.execute(
        f"UPDATE {SALES} SET estimated_units_sold = -2 WHERE date = %s", (YESTERDAY,)
    ),
    "sales_estimate_data_no_future_dates": lambda s: s.execute(
        f"INSERT INTO {SALES} (asin, marketplace, date) VALUES ('B0DATATST2', 'us', %s)",
        (YESTERDAY + dt.timedelta(days=1),),
    ),
    "sales_estimate_data_daily_series_complete": lambda s: s.execute(
        f"DELETE FROM {SALES} WHERE date = %s", (YESTERDAY - dt.timedelta(days=1),)
    ),
    "sync_status_has_data_agrees": lambda s: s.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET has_sales_data = false'
    ),
}


def test_every_test_file_has_a_breaker_and_a_severity():
    tests = discover()
    assert sorted(t.name for t in tests) == sorted(BREAKERS)
    assert {t.name: t.severity for t in tests}["sales_estimate_data_daily_series_complete"] == "warn"
    assert {t.name for t in tests if t.targets == ("staging",)} == {"sync_status_has_data_agrees"}


def test_clean_data_passes_on_both_targets(migrated, staging, production, env):
    clean(staging, production)
    done = run_cli(["data-tests", "--json", "--target", "both"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    body = json.loads(done.stdout)
    assert body["passed"] is True
    assert len(body["tests"]) == 2 * len(BREAKERS) - 1  # sync_status is staging only
    assert all(t["failures"] == 0 for t in body["tests"])


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_each_test_fails_on_the_row_that_breaks_it(migrated, staging, production, name):
    clean(staging, production)
    BREAKERS[name](staging)
    results = {r.name: r for r in run_tests(migrated.staging)}
    failing = {n for n, r in results.items() if not r.passed}
    assert failing == {name} or (name.endswith("required_not_null") and name in failing)
    assert 1 <= results[name].failures and 1 <= len(results[name].examples) <= 5


def test_exit_code_follows_severity(migrated, staging, production, env):
    clean(staging, production)
    BREAKERS["sales_estimate_data_daily_series_complete"](staging)
    warned = run_cli(["data-tests", "--target", "staging"], env)
    assert (
        warned.returncode == 0
        and "WARN sales_estimate_data_daily_series_complete [staging] severity=warn: 1" in warned.stdout
    )
    BREAKERS["product_data_not_negative"](production)
    failed = run_cli(["data-tests", "--target", "production"], env)
    assert failed.returncode == 1 and "FAIL product_data_not_negative [production] severity=error: 1" in failed.stdout


def test_a_test_without_severity_is_refused(tmp_path):
    path = tmp_path / "no_severity.sql"
    path.write_text("SELECT 1 AS failing\n")
    with pytest.raises(RenderError, match="severity"):
        parse(path)
