"""Migration 0018: jssync_select_asins_v3 reads each tier from its index and returns exactly what
_v2 returns, in the same order, on a catalogue with every kind of row (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import Db

NOW = dt.datetime(2026, 3, 1, 12)

# 600 ASINs: i % 6 picks new, not found lately, backing off, a sales gap (sales a day behind or
# never), stale or fresh; product times spread over the 60 days before NOW.
CATALOGUE = """
INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data,
    product_data_synced_at, sales_estimate_data_synced_at, product_fetch_attempted_at,
    created_at, failure_count, last_failure_at)
SELECT 'B0V3' || lpad(i::text, 6, '0'),
       i %% 6 NOT IN (0, 1),
       i %% 6 NOT IN (0, 1) AND i %% 12 <> 3,
       CASE WHEN i %% 6 NOT IN (0, 1) THEN %(now)s::timestamp - make_interval(hours => (i * 37) %% 1440) END,
       CASE WHEN i %% 6 = 3 AND i %% 12 <> 3
            THEN %(now)s::timestamp - make_interval(hours => (i * 37) %% 1440 + 24)
            WHEN i %% 6 NOT IN (0, 1) THEN %(now)s::timestamp - make_interval(hours => (i * 37) %% 1440) END,
       CASE WHEN i %% 6 = 1 THEN %(now)s::timestamp - make_interval(days => i %% 30) END,
       %(now)s::timestamp - make_interval(mins => (i * 7) %% 5000),
       CASE WHEN i %% 6 = 2 THEN i %% 4 ELSE 0 END,
       CASE WHEN i %% 6 = 2 THEN %(now)s::timestamp - make_interval(mins => (i * 13) %% 600) END
FROM generate_series(1, 600) AS i
"""


def tiers(db: Db, version: str, limit: int, stale_days: int, now: dt.datetime) -> list[tuple]:
    return db.rows(
        f'SELECT asin, kind, sales_synced_at FROM "{{p}}jssync_select_asins_{version}"(%s, %s, 15, %s)',
        (limit, stale_days, now),
    )


@pytest.mark.parametrize("limit", [0, 1, 37, 100, 250, 1000])
def test_v3_returns_what_v2_returns(staging: Db, limit: int):
    staging.execute(CATALOGUE, {"now": NOW})
    kinds = set()
    for stale_days in (7, 30):
        for now in (NOW, NOW + dt.timedelta(hours=5), NOW + dt.timedelta(days=20), NOW - dt.timedelta(days=10)):
            v2 = tiers(staging, "v2", limit, stale_days, now)
            assert tiers(staging, "v3", limit, stale_days, now) == v2
            kinds.update(kind for _, kind, _ in v2)
    if limit >= 250:
        assert kinds == {"new", "sales_gap", "stale"}
