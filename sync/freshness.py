"""How fresh the catalogue is: the status's `freshness`, the Discord report, `jssync plan` and its
simulation, GET /admin/freshness and the dashboard all read one query, sql/queries/freshness.sql.

Visible ASINs split into fresh + overdue + never_synced + not_found_waiting (the query's header
says which is which); ages are in days, None when no ASIN has that data. The SLA share,
`fresh_percent`, is of `sla_asins`: the visible ASINs less those waiting on a not-found retry,
which cannot be fresh.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from loaders.catalogue import Catalogue
from loaders.execute import run_model

# The status's and the report's figures, in the order they are shown.
KEYS = (
    "visible_asins",
    "fresh",
    "overdue",
    "never_synced",
    "not_found_waiting",
    "sla_asins",
    "fresh_percent",
    "oldest_product_age_days",
    "p95_product_age_days",
    "oldest_sales_age_days",
)
# Age buckets in days, in the order of the query's histogram arrays.
BUCKETS = ("0-1", "1-2", "2-7", "7-14", "14-30", "30-60", "60+", "never")
DEFAULT_RETRY_DAYS = 15  # the Go service's not-found retry period


def _read(
    cursor_or_conn, prefix: str, threshold_days: int, retry_days: int, now: dt.datetime | None, catalogue: Catalogue
) -> dict:
    """The query's one row by column name. A connection is used in a transaction of its own; a
    cursor runs in the caller's."""
    params = {
        "now": None if now is None else now.replace(tzinfo=None),
        "threshold_days": threshold_days,
        "retry_days": retry_days,
    }
    if hasattr(cursor_or_conn, "cursor"):
        with cursor_or_conn, cursor_or_conn.cursor() as cur:
            return _row(cur, prefix, params, catalogue)
    return _row(cursor_or_conn, prefix, params, catalogue)


def _row(cur, prefix: str, params: dict, catalogue: Catalogue) -> dict:
    run_model(cur, "freshness", "staging", prefix, params, catalogue=catalogue)
    row = cur.fetchone()
    return {d[0]: _plain(v) for d, v in zip(cur.description, row, strict=True)}


def _plain(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def figures(
    cursor_or_conn,
    prefix: str,
    threshold_days: int,
    retry_days: int = DEFAULT_RETRY_DAYS,
    *,
    catalogue: Catalogue,
    now: dt.datetime | None = None,
    extras: bool = False,
) -> dict:
    """The `freshness` figures (KEYS) of staging's `catalogue` (resolved: loaders.catalogue) at
    `now` (default: the database's now).

    `extras` adds `max_age_days` (the oldest product data, or time tracked when never synced)
    and `untracked` (visible ASINs the next add-new step will track)."""
    row = _read(cursor_or_conn, prefix, threshold_days, retry_days, now, catalogue)
    out = {k: row[k] for k in KEYS}
    if extras:
        out["max_age_days"] = row["max_age_days"]
        out["untracked"] = row["untracked"]
    return out


def overview(
    cursor_or_conn,
    prefix: str,
    threshold_days: int,
    *,
    catalogue: Catalogue,
    sla_percent: float = 99.0,
    retry_days: int = DEFAULT_RETRY_DAYS,
    now: dt.datetime | None = None,
    histograms: bool = True,
) -> dict:
    """GET /admin/freshness: the figures (`fresh_percent` None when the SLA counts no ASIN),
    `threshold_days`, `sla_percent` and, with `histograms`, `product_age_histogram` and
    `sales_age_histogram` ({bucket: ASINs}; each sums to visible_asins)."""
    row = _read(cursor_or_conn, prefix, threshold_days, retry_days, now, catalogue)
    result = {k: row[k] for k in KEYS}
    result.update(threshold_days=threshold_days, sla_percent=sla_percent)
    if histograms:
        result["product_age_histogram"] = dict(zip(BUCKETS, row["product_histogram"], strict=True))
        result["sales_age_histogram"] = dict(zip(BUCKETS, row["sales_histogram"], strict=True))
    return result


def fresh_share(fig: dict) -> float:
    """The figures' `fresh_percent`: percent of the ASINs the SLA counts that are fresh (100 when
    it counts none)."""
    share = fig.get("fresh_percent")
    return 100.0 if share is None else float(share)


def sla_warning(fig: dict, sla_percent: float) -> str | None:
    """The warning when fewer than `sla_percent` of the ASINs the SLA counts are fresh, else None."""
    share = fresh_share(fig)
    if share >= sla_percent:
        return None
    waiting = fig["not_found_waiting"]
    apart = f"; {waiting} more wait on a not-found retry" if waiting else ""
    return (
        f"freshness below SLA: {share:.1f}% of {fig['sla_asins']} visible ASINs fresh "
        f"(SLA {sla_percent:g}%{apart}); {fig['sla_asins'] - fig['fresh']} overdue ({fig['overdue']} stale, "
        f"{fig['never_synced']} never synced)"
    )
