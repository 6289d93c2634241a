"""Freshness overview for /admin/freshness and the dashboard: the figures plus age histograms.

One query (sql/queries/freshness_overview.sql) computes everything in PostgreSQL in a single pass over
sync_status, so it stays quick on a 300,000-ASIN catalogue.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from loaders.execute import run_model

# Age buckets in days, in the order of the query's histogram arrays.
BUCKETS = ("0-1", "1-2", "2-7", "7-14", "14-30", "30-60", "60+", "never")
DEFAULT_RETRY_DAYS = 15  # the Go service's not-found retry period


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def figures(cur, prefix: str, threshold_days: int, *, sla_percent: float = 99.0,
            retry_days: int = DEFAULT_RETRY_DAYS, now: dt.datetime | None = None,
            histograms: bool = True) -> dict:
    """Freshness of staging's tracked ASINs (cursor on staging, tables under `prefix`).

    fresh + overdue + never_synced + not_found_waiting = visible_asins; ages are in days (None
    when nothing has data); fresh_percent is None with no ASIN. `now` (naive UTC) travels in time.
    With `histograms`, adds product_age_histogram and sales_age_histogram ({bucket: count})."""
    run_model(cur, "freshness_overview", "staging", prefix,
              {"threshold_days": threshold_days, "retry_days": retry_days, "now": now})
    (visible, fresh, overdue, never, waiting, oldest, p95, oldest_sales, product_hist,
     sales_hist) = cur.fetchone()
    result = {
        "visible_asins": visible, "fresh": fresh, "overdue": overdue, "never_synced": never,
        "not_found_waiting": waiting, "oldest_product_age_days": _number(oldest),
        "p95_product_age_days": _number(p95), "oldest_sales_age_days": _number(oldest_sales),
        "threshold_days": threshold_days, "sla_percent": sla_percent,
        "fresh_percent": round(100.0 * fresh / visible, 2) if visible else None,
    }
    if histograms:
        result["product_age_histogram"] = dict(zip(BUCKETS, product_hist, strict=True))
        result["sales_age_histogram"] = dict(zip(BUCKETS, sales_hist, strict=True))
    return result
