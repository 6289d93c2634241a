"""The merge models' `DISTINCT ON`: when a key appears twice in one batch, the row that wins is the
one the model's ORDER BY names (the newest record, then the last landed), never chance."""

from __future__ import annotations

import io

import pytest

from loaders.connections import connection
from loaders.execute import copy_in, run_model
from loaders.merge import OUTCOME_INPUT, PRODUCT_INPUT
from tests.helpers import APPLICATION_NAME, Db

ASIN = "B0WIN00001"
FAILED = [ASIN, "us", "hourly", "failed", "failed", "", "", "0", "api", "HTTP 503", ""]
FOUND = [ASIN, "us", "hourly", "found", "synced", "2026-01-01", "2026-01-02", "2", "", "", ""]


def merge(db: Db, model: str, table: str, columns: list[str], rows: list[list[str]], **params: str) -> None:
    """Load `rows` (CSV values, in landing order) into the model's input table and run it, in one
    staging transaction as loaders/merge.py does."""
    with connection(db.settings, application_name=APPLICATION_NAME) as conn, conn, conn.cursor() as cur:
        run_model(cur, "input_tables", "staging", db.prefix)
        copy_in(cur, table, columns, io.StringIO("".join(",".join(row) + "\n" for row in rows)))
        run_model(cur, model, "staging", db.prefix, params or None)


@pytest.mark.parametrize(
    ("landed", "error", "failures"),
    [
        ([FAILED, FOUND], None, 0),
        ([FOUND, FAILED], "HTTP 503", 1),
    ],
)
def test_sync_status_takes_the_last_landed_outcome_of_an_asin(staging, landed, error, failures):
    merge(
        staging, "sync_status", "in_asin_outcomes", OUTCOME_INPUT, landed, run_id="00000000-0000-4000-8000-00000000000a"
    )
    assert staging.rows('SELECT error, failure_count FROM "{p}jungle_scout_sync_status" WHERE asin = %s', (ASIN,)) == [
        (error, failures)
    ]


def product_row(title: str, updated_at: str) -> list[str]:
    values = {"asin": ASIN, "report_date": "2026-01-01", "id": f"us/{ASIN}", "title": title, "updated_at": updated_at}
    return [values.get(column, "") for column in PRODUCT_INPUT]


@pytest.mark.parametrize(
    ("landed", "title"),
    [
        # The newest record wins, whatever order it landed in.
        ([product_row("new", "2026-01-02 00:00:00"), product_row("old", "2026-01-01 00:00:00")], "new"),
        ([product_row("old", "2026-01-01 00:00:00"), product_row("new", "2026-01-02 00:00:00")], "new"),
        # The same updated_at: the last landed wins.
        ([product_row("first", "2026-01-01 00:00:00"), product_row("last", "2026-01-01 00:00:00")], "last"),
    ],
)
def test_product_data_takes_the_newest_then_the_last_landed_row(staging, landed, title):
    merge(staging, "product_data", "in_product_data", PRODUCT_INPUT, landed)
    assert staging.rows('SELECT title FROM "{p}jungle_scout_product_data" WHERE asin = %s', (ASIN,)) == [(title,)]
