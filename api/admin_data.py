"""GET /admin/usage and GET /admin/freshness (JWT admin): the facts the dashboard draws."""

from __future__ import annotations

from flask import Blueprint, request

from api import validation
from api.auth import require_admin
from api.db import config, staging
from api.errors import ApiProblem
from loaders import catalogue as catalogues
from loaders.execute import run_model
from sync import freshness

bp = Blueprint("admin_data", __name__)
DEFAULT_DAYS, MAX_DAYS = 30, 366
COUNTS = ("requests", "retries", "rate_limited", "errors")


@bp.get("/admin/usage")
@require_admin
def usage():
    """The usage ledger of the last `days` UTC days (today included), newest first, one row per
    day, endpoint and marketplace; the calendar month's totals; the budget when one is set."""
    validation.known(request.args, ("days",))
    days = validation.whole_number(request.args, "days", DEFAULT_DAYS, MAX_DAYS)
    conn = staging()
    prefix = config().staging.prefix
    with conn, conn.cursor() as cur:
        run_model(cur, "api_usage_totals", "staging", prefix, {"days": days})
        rows = cur.fetchall()
        run_model(cur, "api_usage_month", "staging", prefix)
        month, *totals = cur.fetchone()
    monthly = config().monthly_request_budget
    spent = totals[0]
    return {
        "days": days,
        "usage": [
            {
                "day": day.isoformat(),
                "endpoint": endpoint,
                "marketplace": market,
                **dict(zip(COUNTS, counts, strict=True)),
            }
            for day, endpoint, market, *counts in rows
        ],
        "month": {"month": month, **dict(zip(COUNTS, totals, strict=True))},
        "budget": None if monthly is None else {"monthly": monthly, "spent": spent, "left": max(monthly - spent, 0)},
    }


@bp.get("/admin/freshness")
@require_admin
def freshness_figures():
    """How fresh staging's visible ASINs are, with age histograms of product and sales data."""
    validation.known(request.args, ())
    cfg = config()
    conn = staging()
    try:  # the catalogue as staging holds it now (CATALOGUE_TABLE_FROM read anew)
        catalogue = catalogues.resolve(conn, cfg.staging.prefix, cfg.catalogue)
    except catalogues.CatalogueError as exc:
        raise ApiProblem(503, f"catalogue: {exc}") from exc
    with conn, conn.cursor() as cur:
        return freshness.overview(
            cur,
            cfg.staging.prefix,
            cfg.stale_data_threshold_days,
            catalogue=catalogue,
            sla_percent=cfg.freshness_sla_percent,
            retry_days=cfg.product_not_found_retry_days,
        )


_COUNT = {"type": "integer", "minimum": 0}
_AGE = {"type": "number", "minimum": 0, "nullable": True}
_ERRORS = {
    code: {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for code, text in (
        ("400", "a bad parameter; the message says what is allowed"),
        ("401", "missing, malformed, expired or wrongly signed credentials"),
        ("403", "a valid token without role admin"),
        ("503", "staging unreachable or not migrated, or its catalogue missing (the message names the setting)"),
    )
}
_HISTOGRAM = {
    "type": "object",
    "required": list(freshness.BUCKETS),
    "description": "ASINs per age bucket in days; never: no sync time yet (visible ASINs not "
    "tracked yet included); sums to visible_asins",
    "properties": {bucket: _COUNT for bucket in freshness.BUCKETS},
}
_TOTALS = {name: _COUNT for name in COUNTS}

OPENAPI_USAGE = {
    "get": {
        "summary": "Jungle Scout requests per UTC day, endpoint and marketplace; the month's total; the budget",
        "tags": ["admin"],
        "security": [{"bearerAuth": []}],
        "parameters": [
            {
                "name": "days",
                "in": "query",
                "required": False,
                "description": "UTC days back, today included",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS, "default": DEFAULT_DAYS},
            }
        ],
        "responses": {
            "200": {
                "description": "the ledger",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["days", "usage", "month", "budget"],
                            "properties": {
                                "days": {"type": "integer"},
                                "usage": {
                                    "type": "array",
                                    "description": "newest day first",
                                    "items": {
                                        "type": "object",
                                        "required": ["day", "endpoint", "marketplace", *COUNTS],
                                        "properties": {
                                            "day": {"type": "string", "format": "date"},
                                            "endpoint": {"type": "string", "description": "products or sales"},
                                            "marketplace": {"type": "string"},
                                            **_TOTALS,
                                        },
                                    },
                                },
                                "month": {
                                    "type": "object",
                                    "required": ["month", *COUNTS],
                                    "properties": {"month": {"type": "string", "example": "2026-11"}, **_TOTALS},
                                },
                                "budget": {
                                    "type": "object",
                                    "nullable": True,
                                    "required": ["monthly", "spent", "left"],
                                    "description": "null unless JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET is set",
                                    "properties": {"monthly": _COUNT, "spent": _COUNT, "left": _COUNT},
                                },
                            },
                        }
                    }
                },
            },
            **_ERRORS,
        },
    }
}

OPENAPI_FRESHNESS = {
    "get": {
        "summary": "How fresh the visible ASINs are, with age histograms",
        "tags": ["admin"],
        "security": [{"bearerAuth": []}],
        "responses": {
            "200": {
                "description": "the figures",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": [
                                *freshness.KEYS,
                                "threshold_days",
                                "sla_percent",
                                "product_age_histogram",
                                "sales_age_histogram",
                            ],
                            "properties": {
                                "visible_asins": _COUNT,
                                "fresh": _COUNT,
                                "overdue": _COUNT,
                                "never_synced": _COUNT,
                                "not_found_waiting": _COUNT,
                                "sla_asins": {
                                    **_COUNT,
                                    "description": "the ASINs the SLA counts: visible_asins less not_found_waiting",
                                },
                                "oldest_product_age_days": _AGE,
                                "p95_product_age_days": _AGE,
                                "oldest_sales_age_days": _AGE,
                                "threshold_days": {"type": "integer", "minimum": 1},
                                "sla_percent": {"type": "number", "minimum": 0, "maximum": 100},
                                "fresh_percent": {
                                    "type": "number",
                                    "minimum": 0,
                                    "maximum": 100,
                                    "nullable": True,
                                    "description": "100 x fresh / sla_asins (null when sla_asins is 0)",
                                },
                                "product_age_histogram": _HISTOGRAM,
                                "sales_age_histogram": _HISTOGRAM,
                            },
                        }
                    }
                },
            },
            **_ERRORS,
        },
    }
}
