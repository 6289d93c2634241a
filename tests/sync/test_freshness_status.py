"""The status's `freshness` and `budget`, and the Discord report's freshness lines and SLA colour:
end to end (real PostgreSQL, the sandbox over HTTP)."""

from __future__ import annotations

import dataclasses

from sync import report
from sync.hourly import run_hourly
from tests.helpers import Db, seed


def track_old(db: Db, n: int, days: int) -> None:
    db.execute(
        'INSERT INTO "{p}product" (asin, product_visibility) '
        "SELECT 'B' || lpad(i::text, 9, '0'), true FROM generate_series(1, %s) AS i",
        (n,),
    )
    db.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
        "product_data_synced_at, sales_estimate_data_synced_at, created_at) "
        "SELECT 'B' || lpad(i::text, 9, '0'), true, true, "
        "(now() AT TIME ZONE 'UTC') - make_interval(days => %s), "
        "(now() AT TIME ZONE 'UTC') - make_interval(days => %s + 1), "
        "(now() AT TIME ZONE 'UTC') - interval '400 days' FROM generate_series(1, %s) AS i",
        (days, days, n),
    )


def fields(payload: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in payload["embeds"][0]["fields"]}


def test_below_the_sla_the_report_is_yellow_and_says_how_many_are_overdue(migrated, staging, sandbox):
    track_old(staging, 200, 40)
    seed(staging, ["B0FRSH0001", "B0FRSH0002", "B0FRSH0003"])
    status = run_hourly(migrated, "us")
    assert status.total_asins_processed == 100 and status.outcome == "success"
    fig = status.as_dict()["freshness"]
    assert {k: fig[k] for k in ("visible_asins", "fresh", "overdue", "never_synced", "not_found_waiting")} == {
        "visible_asins": 203,
        "fresh": 100,
        "overdue": 103,
        "never_synced": 0,
        "not_found_waiting": 0,
    }
    assert 40 <= fig["oldest_product_age_days"] < 40.1 and 41 <= fig["oldest_sales_age_days"] < 41.1
    assert 40 <= fig["p95_product_age_days"] <= fig["oldest_product_age_days"]
    # One product call and 100 sales calls; no budget set.
    assert status.as_dict()["budget"] == {"monthly": None, "spent": 1 + 100, "left": None}
    payload = report.build_payload(status)
    embed = payload["embeds"][0]
    assert embed["color"] == report.YELLOW
    assert "freshness below SLA: 49.3% of 203 visible ASINs fresh (SLA 99%); 103 overdue" in embed["description"]
    shown = fields(payload)
    assert shown["Fresh"] == "100/203 (49.3%)"
    assert shown["Overdue"] == "103 stale, 0 never synced" and "Not found" not in shown
    assert shown["Oldest"].startswith("product 40.0d, p95 40.0d, sales 41.0d")


def test_all_fresh_is_green_and_a_lower_sla_is_a_setting(migrated, staging, sandbox):
    seed(staging, ["B0FRSH0011", "B0FRSH0012"])
    status = run_hourly(migrated, "us")
    assert status.freshness["fresh"] == status.freshness["visible_asins"] == 2
    assert status.warnings == []
    assert report.build_payload(status)["embeds"][0]["color"] == report.GREEN

    track_old(staging, 300, 40)  # 100 of 302 refreshed next: 34% fresh
    lenient = dataclasses.replace(migrated, freshness_sla_percent=30)
    status = run_hourly(lenient, "us")
    assert status.freshness["fresh"] == 102 and status.warnings == []
    assert report.build_payload(status)["embeds"][0]["color"] == report.GREEN


def test_asins_the_api_does_not_know_are_reported_apart_not_against_the_sla(migrated, staging, sandbox):
    """Issue 17 (b): 110 visible ASINs, 10 unknown to the API, every other one synced: no SLA
    warning, and the 10 are reported as waiting on their not-found retry."""
    track_old(staging, 100, 31)  # stale, so the first run lands a month of sales each, not a year
    known = [f"B{i:09d}" for i in range(1, 101)]
    unknown = [f"B0ZZUNK{i:03d}" for i in range(10)]  # the sandbox knows no B0ZZ... ASIN
    seed(staging, unknown)
    first = run_hourly(migrated, "us", limit=200)
    assert (first.successful_product_sync, first.total_asins_processed) == (100, 110)
    assert (first.new_asins_synced, first.stale_asins_synced) == (10, 100)
    fig = first.freshness
    assert (fig["visible_asins"], fig["fresh"], fig["not_found_waiting"], fig["sla_asins"]) == (110, 100, 10, 100)
    assert fig["fresh_percent"] == 100.0 and first.warnings == []

    perfect = run_hourly(migrated, "us", limit=200)  # nothing due: a run without a failure
    assert perfect.total_asins_processed == 0 and perfect.warnings == [] and perfect.outcome == "success"
    payload = report.build_payload(perfect)
    assert payload["embeds"][0]["color"] == report.GREEN
    shown = fields(payload)
    assert shown["Fresh"] == "100/100 (100.0%)"
    assert shown["Overdue"] == "0 stale, 0 never synced"
    assert shown["Not found"] == "10 waiting to retry (outside the SLA)"

    # Below the SLA the warning counts the same way, and names the waiting ones apart.
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_data_synced_at = product_data_synced_at '
        "- interval '40 days' WHERE asin = ANY(%s)",
        (known[:20],),
    )
    with_stale = run_hourly(migrated, "us", limit=1)  # refreshes one of the 20
    assert with_stale.freshness["fresh_percent"] == 81.0  # 81 of the 100 the SLA counts
    assert (
        "freshness below SLA: 81.0% of 100 visible ASINs fresh (SLA 99%; 10 more wait on a not-found retry); "
        "19 overdue (19 stale, 0 never synced)" in with_stale.warnings
    )
