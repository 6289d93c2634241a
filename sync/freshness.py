"""How fresh the catalogue is: the `freshness` figures of the status, the report and `jssync plan`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from loaders.execute import run_model

KEYS = ("visible_asins", "fresh", "overdue", "never_synced", "not_found_waiting",
        "oldest_product_age_days", "p95_product_age_days", "oldest_sales_age_days")


def _cursor(cursor_or_conn):
    return cursor_or_conn.cursor() if hasattr(cursor_or_conn, "cursor") else None


def figures(cursor_or_conn, prefix: str, threshold_days: int, retry_days: int = 15, *,
            now: dt.datetime | None = None, extras: bool = False) -> dict:
    """The freshness figures of staging's catalogue at `now` (default: the database's now).

    A connection is used in a transaction of its own; a cursor runs in the caller's. `extras`
    adds `max_age_days` (never-synced ASINs counted from when they were tracked) and
    `untracked` (visible ASINs the next add-new step will track)."""
    params = {"now": None if now is None else now.replace(tzinfo=None),
              "stale_days": threshold_days, "retry_days": retry_days}
    own = _cursor(cursor_or_conn)
    if own is not None:
        with cursor_or_conn, own as cur:
            row, names = _read(cur, prefix, params)
    else:
        row, names = _read(cursor_or_conn, prefix, params)
    values = dict(zip(names, row, strict=True))
    out = {k: _plain(values[k]) for k in KEYS}
    if extras:
        out["max_age_days"] = _plain(values["max_age_days"])
        out["untracked"] = values["untracked"]
    return out


def _read(cur, prefix: str, params: dict) -> tuple[tuple, list[str]]:
    run_model(cur, "freshness", "staging", prefix, params)
    return cur.fetchone(), [d[0] for d in cur.description]


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    return value


def fresh_share(fig: dict) -> float:
    """Percent of visible ASINs that are fresh (100 for an empty catalogue)."""
    visible = fig.get("visible_asins") or 0
    return 100.0 if not visible else 100.0 * (fig.get("fresh") or 0) / visible


def sla_warning(fig: dict, sla_percent: float) -> str | None:
    """The warning when fewer than `sla_percent` of the visible ASINs are fresh, else None."""
    share = fresh_share(fig)
    if share >= sla_percent:
        return None
    late = fig["visible_asins"] - fig["fresh"] - fig["not_found_waiting"]
    return (f"freshness below SLA: {share:.1f}% of {fig['visible_asins']} visible ASINs fresh "
            f"(SLA {sla_percent:g}%); {late} overdue ({fig['overdue']} stale, "
            f"{fig['never_synced']} never synced)")
