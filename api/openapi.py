"""GET /openapi.json: the OpenAPI 3 description of every endpoint, parameter, response and
both auth schemes. The property-based test drives the app against exactly this document."""

from __future__ import annotations

from flask import Blueprint

from api.admin_data import OPENAPI_FRESHNESS, OPENAPI_USAGE
from api.runs import OPENAPI as RUNS
from api.validation import DEBUG_VALUES, MAX_ASINS
from api.verify import OPENAPI as VERIFY
from extract.settings import ASIN_PATTERN, MARKETPLACES
from sync.master import DATE_RANGES, MODES

bp = Blueprint("openapi", __name__)

_INT = {"type": "integer", "minimum": 0}
# An ASIN file the endpoints accept, exactly as sync/asin_file.py reads one without a bad line:
# an optional BOM, blank lines anywhere, an optional `asin` header, then ASIN lines (any case,
# spaces or tabs around, a value may be quoted whole). A CSV whose header names an `asin` column
# among others is accepted too; the description says so, the pattern keeps to one column.
_SEP = r"(\r\n|\r|\n)"
_BLANK = r"[ \t]*"


def _cell(value: str) -> str:
    return rf'([ \t]*{value}[ \t]*|"[ \t]*{value}[ \t]*")'


_ASIN_CELL = _cell(r"([Bb][0-9A-Za-z]{9}|[0-9]{9}[0-9Xx])")
ASIN_FILE_PATTERN = (
    rf"^\ufeff?({_BLANK}{_SEP})*({_cell('[Aa][Ss][Ii][Nn]')}{_SEP})?({_BLANK}{_SEP})*"
    rf"{_ASIN_CELL}({_SEP}({_ASIN_CELL}|{_BLANK}))*$"
)
_TIME = {"type": "string", "format": "date-time", "nullable": True}
_REF = "#/components/schemas/"


def _ref(name: str) -> dict:
    return {"$ref": _REF + name}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


_EXTRAS = {
    "run_id": {"type": "string", "description": "the run's id in staging's jssync_runs"},
    "kind": {"type": "string", "description": "hourly, master, product, sales or manual (a file's product and sales)"},
    "marketplace": {"type": "string"},
    "outcome": {"type": "string", "description": "running, success, failures or stopped"},
    "duration_seconds": {"type": "number"},
    "production_pending": {**_INT, "description": "merges production is still owed"},
    "production_catch_up": {"type": "object"},
    "production_kept_newer": {
        **_INT,
        "description": "production rows the publish left as they are because another writer's copy was newer",
    },
    "api_usage": {
        "type": "object",
        "description": "Jungle Scout requests of the run, and the "
        "limiter's configured_rate_per_minute, effective_rate_per_minute (the rate the run "
        "ended at) and lowest_rate_per_minute",
    },
    "landing": {"type": "object", "description": "the DuckDB landing file and load id"},
    "archive": {
        "type": "object",
        "description": "the landing archive (LANDING_ARCHIVE_URL; {} when unset): url (without "
        "credentials), files this run wrote, loads it archived, pending_loads still waiting in staging, "
        "error (the last failed upload)",
    },
    "freshness": {
        "type": "object",
        "description": "visible_asins, fresh, overdue, never_synced, "
        "not_found_waiting, sla_asins (visible less not_found_waiting: what the SLA counts), "
        "fresh_percent (of sla_asins), oldest_product_age_days, p95_product_age_days, oldest_sales_age_days "
        "(hourly syncs)",
    },
    "budget": {"type": "object", "description": "the month's request budget: monthly, spent, left"},
    "plan": {
        "type": "object",
        "description": "the run's ASIN limit: limit, auto, capped_by, requests_per_asin, family_sharing",
    },
    "sales_shared_asins": {
        **_INT,
        "description": "ASINs whose sales rows this run copied from the one call of their shared-rank group "
        "(SALES_FAMILY_SHARING)",
    },
    "family_audit": {
        "type": "object",
        "description": "the audit of shared members fetched on their own: checked, mismatched (their own "
        "series differed from the group's), demoted_groups",
        "properties": {"checked": _INT, "mismatched": _INT, "demoted_groups": _INT},
    },
    "warnings": {
        "type": "array",
        "items": {"type": "string"},
        "description": "why a completed run is yellow: budget spent, freshness below the SLA",
    },
    "not_attempted_asins": {
        **_INT,
        "description": "selected ASINs with a request the monthly budget refused: never sent, so no failure "
        "and no backoff; they stay due",
    },
    "production": {
        "type": "string",
        "enum": ["enabled", "disabled"],
        "description": "disabled: staging-only (DB_PROD_HOST empty), no production step ran",
    },
    "catalogue": {
        "type": "object",
        "description": "the catalogue the run read: table, asin_column, visibility_column, "
        "table_from (the meta table that named it, or null), switched_from (the table a switch left)",
    },
    "allowance": {
        "type": "object",
        "description": "an hourly run's time allowance (SYNC_RUN_TIME_LIMIT_SECONDS): limit_seconds, "
        "margin_seconds, started_at, fetch_until (no request starts after it), ends_by, used_up, "
        "asins_left; empty for syncs without one",
    },
}

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "what is wrong and what is allowed"}},
    },
    "ErrorSummary": {
        "type": "object",
        "required": ["db_errors", "api_errors", "parse_errors", "other_errors", "sample_errors"],
        "properties": {
            "db_errors": _INT,
            "api_errors": _INT,
            "parse_errors": _INT,
            "other_errors": _INT,
            "sample_errors": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        },
    },
    "HourlyStatus": {
        "type": "object",
        "description": "The Go service's hourly status fields, then this service's extras.",
        "required": [
            "total_asins_processed",
            "new_asins_synced",
            "stale_asins_synced",
            "successful_product_sync",
            "successful_sales_sync",
            "failed_asins",
            "cleaned_up_asins",
            "new_asins_added",
            "total_api_calls",
            "started_at",
            "completed_at",
            "is_running",
            "stopped_early",
            "stop_reason",
            "error_summary",
        ],
        "properties": {
            "total_asins_processed": _INT,
            "new_asins_synced": _INT,
            "stale_asins_synced": _INT,
            "successful_product_sync": _INT,
            "successful_sales_sync": _INT,
            "failed_asins": _INT,
            "cleaned_up_asins": _INT,
            "new_asins_added": _INT,
            "total_api_calls": _INT,
            "started_at": _TIME,
            "completed_at": _TIME,
            "is_running": {"type": "boolean"},
            "stopped_early": {"type": "boolean"},
            "stop_reason": {"type": "string"},
            "error_summary": _ref("ErrorSummary"),
            "sales_gap_asins_synced": {
                **_INT,
                "description": "ASINs whose sales alone were fetched (product data current, sales missing or behind)",
            },
            **_EXTRAS,
        },
    },
    "MasterStatus": {
        "type": "object",
        "description": 'The Go service\'s "Master Sync Status Response" fields, then extras.',
        "required": [
            "total_asins",
            "processed_asins",
            "successful_product_sync",
            "successful_sales_sync",
            "failed_asins",
            "started_at",
            "completed_at",
            "is_running",
            "current_batch",
            "total_batches",
            "date_range",
            "stopped_early",
            "total_api_calls",
            "errors",
        ],
        "properties": {
            "total_asins": _INT,
            "processed_asins": _INT,
            "successful_product_sync": _INT,
            "successful_sales_sync": _INT,
            "failed_asins": _INT,
            "started_at": _TIME,
            "completed_at": _TIME,
            "is_running": {"type": "boolean"},
            "current_batch": _INT,
            "total_batches": _INT,
            "date_range": {"type": "string", "enum": list(DATE_RANGES)},
            "stopped_early": {"type": "boolean"},
            "total_api_calls": _INT,
            "errors": {"type": "array", "items": {"type": "string"}},
            "stop_reason": {"type": "string"},
            "sync_mode": {"type": "string"},
            "error_summary": _ref("ErrorSummary"),
            **_EXTRAS,
        },
    },
    "SyncResponse": {
        "type": "object",
        "required": ["message", "status"],
        "properties": {
            "message": {"type": "string", "example": "Hourly sync completed"},
            "status": _ref("HourlyStatus"),
        },
    },
    "HourlyStatusResponse": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": _ref("HourlyStatus"), "message": {"type": "string"}},
    },
    "MasterStartedResponse": {
        "type": "object",
        "required": ["message", "status"],
        "properties": {"message": {"type": "string", "example": "Master sync started"}, "status": _ref("MasterStatus")},
    },
    "MasterStatusResponse": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": _ref("MasterStatus"), "message": {"type": "string"}},
    },
    "Conflict": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {
            "error": {"type": "string"},
            "status": {
                "type": "object",
                "nullable": True,
                "description": "the running sync's status object (hourly or master shape)",
            },
        },
    },
    "AsinFile": {
        "type": "string",
        "description": "one ASIN a line (upper or lower case, blank lines and surrounding spaces allowed, a "
        'value may be quoted: "B0ABCDEFGH"), optionally under an `asin` header; also a CSV (comma, semicolon '
        "or tab) whose header names an `asin` column among others, every row with the header's number of "
        "values",
        "pattern": ASIN_FILE_PATTERN,
        "example": "asin\nB0ABCDEFGH\n0123456789\n",
    },
    "AsinFileSummary": {
        "type": "object",
        "required": ["asins", "duplicates", "invalid_lines", "errors"],
        "properties": {
            "asins": {**_INT, "description": "distinct valid ASINs synced"},
            "duplicates": {**_INT, "description": "repeated ASINs dropped"},
            "invalid_lines": {**_INT, "description": "lines that held no ASIN"},
            "errors": {"type": "array", "items": _ref("AsinFileLine"), "maxItems": 20},
        },
    },
    "AsinFileLine": {
        "type": "object",
        "required": ["line", "value", "error"],
        "properties": {
            "line": {"type": "integer", "minimum": 1},
            "value": {"type": "string"},
            "error": {"type": "string"},
        },
    },
    "AsinFileError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "what is wrong and what is allowed"},
            "invalid_lines": {"type": "array", "items": _ref("AsinFileLine"), "maxItems": 100},
        },
    },
    "ManualSyncResponse": {
        "type": "object",
        "required": ["message", "status"],
        "properties": {
            "message": {"type": "string", "example": "Product database sync completed"},
            "status": _ref("HourlyStatus"),
            "asin_file": _ref("AsinFileSummary"),
        },
    },
    "AsinList": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "asins": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ASINS,
                "items": {"type": "string", "pattern": ASIN_PATTERN.pattern},
                "example": ["B0ABCDEFGH", "0123456789"],
            }
        },
    },
}

PARAMETERS = {
    "marketplace": {
        "name": "marketplace",
        "in": "query",
        "required": False,
        "description": "Amazon marketplace",
        "schema": {"type": "string", "enum": list(MARKETPLACES), "default": "us"},
    },
    "date_range": {
        "name": "date_range",
        "in": "query",
        "required": False,
        "description": "sales range of ASINs never synced (default 1month; for resume, the range "
        "of the sync being resumed)",
        "schema": {"type": "string", "enum": list(DATE_RANGES)},
    },
    "sync_mode": {
        "name": "sync_mode",
        "in": "query",
        "required": False,
        "description": "fresh: reset the sync flags and fetch everything; resume: continue where "
        "the last master sync stopped",
        "schema": {"type": "string", "enum": list(MODES), "default": "fresh"},
    },
    "debug": {
        "name": "debug",
        "in": "query",
        "required": False,
        "description": "verbose step log",
        "schema": {"type": "string", "enum": list(DEBUG_VALUES), "default": "false"},
    },
}

_P = "#/components/parameters/"
_ADMIN = [{"bearerAuth": []}]
_API_KEY = [{"apiKeyAuth": []}]
_401 = _error("missing, malformed, expired or wrongly signed credentials")
_403 = _error("a valid token without role admin")
_400 = _error("a bad parameter or body; the message says what is allowed")
_409 = _json(_ref("Conflict"), "another sync (hourly, master or manual) is running, in any process")
_503 = _error("staging unreachable or not migrated, or the sync stopped early")


def _manual(summary: str, message: str) -> dict:
    return {
        "summary": summary,
        "tags": ["admin"],
        "security": _ADMIN,
        "parameters": [{"$ref": _P + "marketplace"}],
        "requestBody": {
            "required": False,
            "description": "ASINs to sync; no body (or {}) for every visible ASIN; or an ASIN file (CSV or "
            "text: one ASIN a line, or an `asin` column named by a header; UTF-8, a BOM is fine; up to 5 MiB) "
            "as the body or as the multipart field `file`. A file with an invalid line (or no ASIN) is a 400 "
            "listing the lines, and nothing is synced",
            "content": {
                "application/json": {"schema": _ref("AsinList")},
                "text/csv": {"schema": _ref("AsinFile")},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": _ref("AsinFile")},
                    },
                    "encoding": {"file": {"contentType": "text/csv"}},
                },
            },
        },
        "responses": {
            "200": _json(_ref("ManualSyncResponse"), message),
            "400": _json(_ref("AsinFileError"), "a bad parameter or body, or an ASIN file with invalid lines"),
            "401": _401,
            "403": _403,
            "409": _409,
            "413": _error("a JSON body over 1 MiB, or an ASIN file over 5 MiB"),
            "503": _503,
        },
    }


DOCUMENT: dict = {
    "openapi": "3.0.3",
    "info": {
        "title": "jssync",
        "version": "1.0.0",
        "description": "Keeps Jungle Scout product and daily sales data fresh in staging and production "
        'PostgreSQL. Every error is {"error": "..."}.',
    },
    "tags": [{"name": "health"}, {"name": "admin"}, {"name": "cloud-job"}],
    "paths": {
        "/health": {
            "get": {
                "summary": "Health check",
                "tags": ["health"],
                "security": [],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["status"],
                            "properties": {"status": {"type": "string", "enum": ["ok"]}, "service": {"type": "string"}},
                        },
                        "the process answers",
                    )
                },
            }
        },
        "/test-db": {
            "get": {
                "summary": "Database connectivity test",
                "tags": ["health"],
                "security": [],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["message", "staging", "production"],
                            "properties": {
                                "message": {"type": "string"},
                                "staging": {"type": "string"},
                                "production": {
                                    "type": "string",
                                    "description": "ok, or disabled when staging-only (DB_PROD_HOST empty)",
                                },
                            },
                        },
                        "both databases answer (staging-only: staging answers)",
                    ),
                    "503": _json(
                        {
                            "type": "object",
                            "required": ["error", "staging", "production"],
                            "properties": {
                                "error": {"type": "string"},
                                "staging": {"type": "string"},
                                "production": {"type": "string"},
                            },
                        },
                        "a database does not answer; `error` names it",
                    ),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["health"],
                "security": [],
                "responses": {
                    "200": _json({"type": "object", "required": ["openapi", "paths"]}, "the OpenAPI document")
                },
            }
        },
        "/admin/hourly-sync": {
            "post": {
                "summary": "Hourly sync (up to 100 ASINs), run to completion",
                "tags": ["cloud-job"],
                "security": _API_KEY,
                "parameters": [{"$ref": _P + "marketplace"}, {"$ref": _P + "debug"}],
                "responses": {
                    "200": _json(_ref("SyncResponse"), "Hourly sync completed"),
                    "400": _400,
                    "401": _401,
                    "409": _409,
                    "503": _503,
                },
            }
        },
        "/admin/hourly-sync/status": {
            "get": {
                "summary": "The running or last hourly sync",
                "tags": ["cloud-job"],
                "security": _API_KEY,
                "responses": {"200": _json(_ref("HourlyStatusResponse"), "its status"), "401": _401, "503": _503},
            }
        },
        "/admin/master-sync": {
            "post": {
                "summary": "Start a master sync of every visible ASIN in the background",
                "tags": ["admin"],
                "security": _ADMIN,
                "parameters": [{"$ref": _P + "marketplace"}, {"$ref": _P + "date_range"}, {"$ref": _P + "sync_mode"}],
                "responses": {
                    "202": _json(_ref("MasterStartedResponse"), "started; follow it with the status endpoint"),
                    "400": _400,
                    "401": _401,
                    "403": _403,
                    "409": _409,
                    "503": _503,
                },
            }
        },
        "/admin/master-sync/status": {
            "get": {
                "summary": 'The running or last master sync (Go "Master Sync Status Response")',
                "tags": ["admin"],
                "security": _ADMIN,
                "responses": {
                    "200": _json(_ref("MasterStatusResponse"), "its status"),
                    "401": _401,
                    "403": _403,
                    "503": _503,
                },
            }
        },
        "/admin/sync-product-database": {"post": _manual("Sync product data only", "Product database sync completed")},
        "/admin/sync-jungle-scout": {"post": _manual("Sync sales estimates only", "Sales estimate sync completed")},
        "/admin/runs": RUNS,
        "/admin/usage": OPENAPI_USAGE,
        "/admin/freshness": OPENAPI_FRESHNESS,
        "/dashboard": {
            "get": {
                "summary": "The operations page (HTML); its data comes from the admin endpoints with a JWT admin "
                "token the operator pastes",
                "tags": ["health"],
                "security": [],
                "responses": {
                    "200": {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}
                },
            }
        },
        **VERIFY,
    },
    "components": {
        "schemas": SCHEMAS,
        "parameters": PARAMETERS,
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": 'HS256 signed with JWT_SECRET; exp required; admin = claim role "admin"',
            },
            "apiKeyAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-KEY",
                "description": "the SYNC_API_KEY value",
            },
        },
    },
}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document."""
    return DOCUMENT
