"""POST /admin/verify (JWT admin): run a verify of production against staging and answer its
result; GET /admin/verify/status: the last verify's result, read from staging's run history."""

from __future__ import annotations

from flask import Blueprint, request

from api import validation
from api.auth import require_admin
from api.db import config, conflict, latest_status
from api.errors import ApiProblem
from api.validation import DEBUG_VALUES
from extract.settings import MARKETPLACES
from sync.config import STAGING_ONLY
from sync.guard import SyncAlreadyRunning
from sync.verify import result_fields, run_verify

bp = Blueprint("verify", __name__)

_ERROR = {"$ref": "#/components/schemas/Error"}


def _entries(kinds: list[str], description: str) -> dict:
    return {
        "type": "array",
        "description": description,
        "items": {
            "type": "object",
            "required": ["table", "asin", "kind", "rows", "columns"],
            "properties": {
                "table": {"type": "string"},
                "asin": {"type": "string"},
                "kind": {"type": "string", "enum": kinds},
                "rows": {"type": "integer", "minimum": 1},
                "columns": {"type": "array", "items": {"type": "string"}},
            },
        },
    }


_RESULT = {
    "type": "object",
    "required": ["in_sync", "compared", "drift", "repaired", "seconds", "newer_in_production", "production_kept_newer"],
    "properties": {
        "in_sync": {"type": "boolean", "description": "production mirrors staging (after a repair, if asked)"},
        "compared": {
            "type": "object",
            "description": "per table: rows and ASINs compared (staging's counts)",
            "additionalProperties": {
                "type": "object",
                "required": ["rows", "asins"],
                "properties": {"rows": {"type": "integer", "minimum": 0}, "asins": {"type": "integer", "minimum": 0}},
            },
        },
        "drift": _entries(["missing", "extra", "different"], "what differs, per table, ASIN and kind"),
        "repaired": {"type": "integer", "minimum": 0, "description": "rows upserted into production"},
        "seconds": {"type": "number", "minimum": 0},
        "newer_in_production": _entries(
            ["newer_in_production"],
            "production rows another writer made newer than staging's copy (or, for a row staging lacks, "
            "than staging's newest row of the ASIN): not drift, never repaired or deleted",
        ),
        "production_kept_newer": {
            "type": "integer",
            "minimum": 0,
            "description": "production rows left as they are because another writer's copy is newer",
        },
    },
}


def _flag(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "enum": list(DEBUG_VALUES), "default": "false"},
    }


def _errors(*codes: str) -> dict:
    texts = {
        "400": "a bad parameter; the message says what is allowed",
        "401": "missing, malformed, expired or wrongly signed credentials",
        "403": "a valid token without role admin",
        "503": "staging or production unreachable or not migrated",
    }
    return {code: {"description": texts[code], "content": {"application/json": {"schema": _ERROR}}} for code in codes}


OPENAPI = {
    "/admin/verify": {
        "post": {
            "summary": "Compare production with staging by checksums; optionally repair it",
            "tags": ["admin"],
            "security": [{"bearerAuth": []}],
            "parameters": [
                _flag("repair", "upsert production's missing and different rows from staging"),
                _flag("delete_extra", "delete production rows staging does not have"),
                {
                    "name": "marketplace",
                    "in": "query",
                    "required": False,
                    "description": "compare only this marketplace's sales rows (default: all)",
                    "schema": {"type": "string", "enum": list(MARKETPLACES)},
                },
            ],
            "responses": {
                "200": {
                    "description": "the verify result (in_sync false: drift left)",
                    "content": {"application/json": {"schema": _RESULT}},
                },
                "409": {
                    "description": "a sync is running, in any process; or production is disabled "
                    "(staging-only: DB_PROD_HOST empty), so there is nothing to verify",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Conflict"}}},
                },
                **_errors("400", "401", "403", "503"),
            },
        }
    },
    "/admin/verify/status": {
        "get": {
            "summary": "The last verify's result (from staging's run history)",
            "tags": ["admin"],
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": {
                    "description": "the last verify, or null when none has run",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["status"],
                                "properties": {
                                    "status": {
                                        "type": "object",
                                        "nullable": True,
                                        "description": "the verify's run record: the result fields, run_id, outcome, "
                                        "repaired and deleted rows, bytes read",
                                    }
                                },
                            }
                        }
                    },
                },
                **_errors("401", "403", "503"),
            },
        }
    },
}


@bp.post("/admin/verify")
@require_admin
def verify():
    """Run a verify under the sync lock and answer its result; 409 while a sync runs."""
    validation.known(request.args, ("repair", "delete_extra", "marketplace"))
    repair = validation.choice(request.args, "repair", DEBUG_VALUES, "false") == "true"
    delete_extra = validation.choice(request.args, "delete_extra", DEBUG_VALUES, "false") == "true"
    marketplace = validation.choice(request.args, "marketplace", MARKETPLACES, None)
    if config().staging_only:
        raise ApiProblem(409, f"{STAGING_ONLY}: there is no production to verify", status=None)
    try:
        status = run_verify(config(), repair=repair, delete_extra=delete_extra, marketplace=marketplace)
    except SyncAlreadyRunning as exc:
        raise conflict(exc) from None
    if status["stopped_early"]:
        return {"error": status["stop_reason"]}, 503
    return result_fields(status)


@bp.get("/admin/verify/status")
@require_admin
def verify_status():
    """The newest verify's run record, or null."""
    validation.known(request.args, ())
    return {"status": latest_status(("verify",))}
