"""Steps 1 to 3 of a sync in staging (cleanup and add-new as queries on the catalogue, the
selection as stored functions): the Go service's "ASIN Selection Logic" table."""

from __future__ import annotations

import pytest

from loaders.catalogue import Catalogue
from loaders.render import render
from tests.helpers import Db, seed


def add_status(db: Db, count: int, kind: str, start: int = 0) -> list[str]:
    """`count` tracked ASINs that are new (no product data) or stale (synced 40+ days ago)."""
    asins = [f"B0{kind[:2].upper()}{i:06d}" for i in range(start, start + count)]
    for n, asin in enumerate(asins):
        if kind == "new":
            db.execute(
                'INSERT INTO "{p}jungle_scout_sync_status" (asin, created_at) VALUES '
                "(%s, timestamp '2026-01-01' + make_interval(secs => %s))",
                (asin, n),
            )
        else:
            db.execute(
                'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
                "product_data_synced_at) VALUES (%s, true, true, (now() AT TIME ZONE 'UTC') - "
                "make_interval(days => 40 + %s))",
                (asin, n),
            )
    return asins


def select(db: Db) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in db.rows('SELECT asin, kind FROM "{p}jssync_select_asins_v1"(100, 30, 15)')]


@pytest.mark.parametrize(
    ("new", "stale", "want_new", "want_stale"),
    [
        (120, 0, 100, 0),
        (60, 100, 60, 40),
        (0, 150, 0, 100),
        (30, 30, 30, 30),
        (0, 0, 0, 0),
    ],
)
def test_selection_scenarios(staging: Db, new: int, stale: int, want_new: int, want_stale: int):
    new_asins = add_status(staging, new, "new")
    stale_asins = add_status(staging, stale, "stale")
    # fresh data is never selected ("All data fresh")
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, product_data_synced_at) '
        "VALUES ('B0FRESH001', true, now() AT TIME ZONE 'UTC')"
    )
    chosen = select(staging)
    assert [a for a, k in chosen if k == "new"] == new_asins[:want_new]  # oldest created_at first
    # stale: oldest product_data_synced_at first (the highest index was synced longest ago)
    assert [a for a, k in chosen if k == "stale"] == list(reversed(stale_asins))[:want_stale]
    assert len(chosen) == want_new + want_stale


def test_not_found_within_retry_period_is_skipped(staging: Db):
    add_status(staging, 2, "new")
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_fetch_attempted_at = '
        "(now() AT TIME ZONE 'UTC') - interval '14 days' WHERE asin = 'B0NE000000'"
    )
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_fetch_attempted_at = '
        "(now() AT TIME ZONE 'UTC') - interval '16 days' WHERE asin = 'B0NE000001'"
    )
    assert select(staging) == [("B0NE000001", "new")]


def test_cleanup_and_add_new_follow_visibility(staging: Db):
    """Steps 1 and 2 as the flows run them: the queries, on the default catalogue."""
    catalogue = Catalogue.default(staging.prefix)

    def step(name: str) -> int:
        return staging.scalar(render(name, "staging", staging.prefix, catalogue=catalogue))

    seed(staging, ["B0VIS00001", "B0VIS00002"])
    seed(staging, ["B0HID00001"], visible=False)
    assert step("add_new_visible") == 2
    assert step("add_new_visible") == 0
    staging.execute('UPDATE "{p}product" SET product_visibility = false WHERE asin = %s', ("B0VIS00002",))
    # A hidden row of an ASIN another row shows keeps it; an ASIN missing from the table is kept too.
    seed(staging, ["B0VIS00001"], visible=False)
    staging.execute('INSERT INTO "{p}jungle_scout_sync_status" (asin) VALUES (%s)', ("B0GONE0001",))
    assert step("cleanup_invisible") == 1
    remaining = [r[0] for r in staging.rows('SELECT asin FROM "{p}jungle_scout_sync_status" ORDER BY asin')]
    assert remaining == ["B0GONE0001", "B0VIS00001"]
    # the service reads the product table and never alters it
    assert staging.scalar('SELECT count(*) FROM "{p}product"') == 4
