"""Migration 0030: jssync_select_asins_v5. Off: exactly _v3. On: _v3's tiers and order, each
selected ASIN bringing the other fetchable members of its shared-rank group, the limit counted in
ASINs, a group taken whole or left for the next run (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import Db

NOW = dt.datetime(2026, 3, 1, 12)
STATUS = """
INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, product_data_synced_at,
    sales_estimate_data_synced_at, product_fetch_attempted_at, created_at, failure_count, last_failure_at)
VALUES (%(asin)s, %(product)s, %(product)s, %(at)s, %(at)s, %(attempted)s, %(now)s, %(failures)s, %(failed_at)s)
"""
FAMILY = """
INSERT INTO "{p}jssync_asin_family" (asin, report_date, parent_asin, product_rank, is_variant)
VALUES (%s, %s, %s, %s, true)
"""
# asin: (product data age in days or None for new, family (parent, rank) or None, extra columns)
CATALOGUE = {
    "B0NEW00001": (None, None, {}),
    "B0GA000001": (45, ("B0GA000000", 10), {}),  # stale: brings A2, A3
    "B0GA000002": (3, ("B0GA000000", 10), {}),
    "B0GA000003": (2, ("B0GA000000", 10), {}),
    "B0GB000001": (44, ("B0GB000000", 20), {}),  # stale: brings B2 only
    "B0GB000002": (1, ("B0GB000000", 20), {}),
    "B0GB000003": (1, ("B0GB000000", 20), {"failures": 1, "failed_at": NOW - dt.timedelta(minutes=5)}),
    "B0GB000004": (1, ("B0GB000000", 20), {"attempted": NOW - dt.timedelta(days=1)}),  # not found lately
    "B0GC000001": (43, ("B0GC000000", 30), {}),  # a demoted group: alone
    "B0GC000002": (1, ("B0GC000000", 30), {}),
    "B0GD000001": (42, ("B0GD000000", 41), {}),  # own rank: alone
    "B0GD000002": (1, ("B0GD000000", 42), {}),
    "B0STAND001": (41, None, {}),
}


@pytest.fixture
def catalogue(staging: Db) -> Db:
    for asin, (age, family, extra) in CATALOGUE.items():
        at = None if age is None else NOW - dt.timedelta(days=age)
        row = {"asin": asin, "product": age is not None, "at": at, "now": NOW - dt.timedelta(days=90)}
        staging.execute(STATUS, {"attempted": None, "failures": 0, "failed_at": None, **row, **extra})
        if family:
            staging.execute(FAMILY, (asin, (at or NOW).date(), *family))
    staging.execute(
        'INSERT INTO "{p}jssync_family_demotions" (marketplace, parent_asin, product_rank, audited_asin, '
        "source_asin, days_differing) VALUES ('us', 'B0GC000000', 30, 'B0GC000002', 'B0GC000001', 12)"
    )
    return staging


def select(db: Db, limit: int, sharing: bool, marketplace: str = "us", version: str = "v5") -> list[tuple]:
    extra = ", %s, %s" if version == "v5" else ""
    columns = "asin, kind, sales_group" if version == "v5" else "asin, kind, NULL"
    return db.rows(
        f'SELECT {columns} FROM "{{p}}jssync_select_asins_{version}"(%s, 30, 15, %s{extra})',
        (limit, NOW, sharing, marketplace) if version == "v5" else (limit, NOW),
    )


def test_off_is_exactly_v3(catalogue: Db):
    for limit in (0, 1, 3, 100):
        assert select(catalogue, limit, False) == select(catalogue, limit, False, version="v3")


def test_on_a_due_asin_brings_its_group_and_the_limit_counts_asins(catalogue: Db):
    a, b = "B0GA000000#10", "B0GB000000#20"
    assert select(catalogue, 100, True) == [
        ("B0NEW00001", "new", None),
        ("B0GA000001", "stale", a),
        ("B0GA000002", "family", a),
        ("B0GA000003", "family", a),
        ("B0GB000001", "stale", b),
        ("B0GB000002", "family", b),  # B3 backs off, B4 waits on a not-found retry
        ("B0GC000001", "stale", None),  # demoted in us: its members on their own
        ("B0GD000001", "stale", "B0GD000000#41"),  # a group of one (own rank)
        ("B0STAND001", "stale", None),
    ]
    # A group goes whole or waits for the next run; the tiers keep their order.
    assert [r[0] for r in select(catalogue, 3, True)] == ["B0NEW00001"]
    assert [r[0] for r in select(catalogue, 5, True)] == ["B0NEW00001", "B0GA000001", "B0GA000002", "B0GA000003"]
    assert len(select(catalogue, 6, True)) == 6
    # The first group goes even when it is larger than the limit (it would otherwise never go).
    catalogue.execute("DELETE FROM \"{p}jungle_scout_sync_status\" WHERE asin = 'B0NEW00001'")
    assert [r[0] for r in select(catalogue, 1, True)] == ["B0GA000001", "B0GA000002", "B0GA000003"]
    # Demotions are per marketplace.
    assert ("B0GC000002", "family", "B0GC000000#30") in select(catalogue, 100, True, marketplace="uk")
