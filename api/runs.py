"""GET /admin/runs (JWT admin): the run history, each run's status object, newest first."""

from __future__ import annotations

from flask import Blueprint, request

from api import validation
from api.auth import require_admin
from api.db import config, staging
from sync import history
from sync.status import SyncStatus, utcnow

bp = Blueprint("runs", __name__)
DEFAULT_LAST, MAX_LAST = 20, 100

# JSONB keeps keys sorted; answers give them in the Go service's order again.
_KEYS = {"master": list(SyncStatus(kind="master").as_master_dict()), "other": list(SyncStatus().as_dict())}

OPENAPI = {
    "get": {
        "summary": "The latest sync runs, newest first (each run's status object)",
        "tags": ["admin"],
        "security": [{"bearerAuth": []}],
        "parameters": [
            {
                "name": "last",
                "in": "query",
                "required": False,
                "description": "how many runs",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LAST, "default": DEFAULT_LAST},
            }
        ],
        "responses": {
            "200": {
                "description": "the runs",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["runs"],
                            "properties": {
                                "runs": {
                                    "type": "array",
                                    "maxItems": MAX_LAST,
                                    "items": {
                                        "type": "object",
                                        "required": ["run_id", "kind", "outcome", "duration_seconds"],
                                        "properties": {
                                            "outcome": {
                                                "type": "string",
                                                "description": "running, success, failures or stopped",
                                            },
                                            "duration_seconds": {
                                                "type": "number",
                                                "minimum": 0,
                                                "description": "to its end, or until now while it runs",
                                            },
                                        },
                                        "description": (
                                            "a status object: the master shape for kind master, else the hourly shape"
                                        ),
                                    },
                                }
                            },
                        }
                    }
                },
            },
            **{
                code: {
                    "description": text,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for code, text in (
                    ("400", "a bad parameter; the message says what is allowed"),
                    ("401", "missing, malformed, expired or wrongly signed credentials"),
                    ("403", "a valid token without role admin"),
                    ("503", "staging unreachable or not migrated"),
                )
            },
        },
    }
}


def _ordered(status: dict) -> dict:
    keys = _KEYS["master" if status.get("kind") == "master" else "other"]
    first = {key: status[key] for key in keys if key in status}
    return {**first, **{key: value for key, value in status.items() if key not in first}}


@bp.get("/admin/runs")
@require_admin
def runs():
    """The newest `last` runs (default 20, at most 100). A run saved as running while no
    process holds the sync lock has died and is shown stopped early, as the status endpoints do."""
    validation.known(request.args, ("last",))
    last = validation.whole_number(request.args, "last", DEFAULT_LAST, MAX_LAST)
    rows = history.read(staging(), config().staging.prefix, "recent_runs", {"last": last})
    now = utcnow().replace(tzinfo=None)  # the table's times are naive UTC
    runs = []
    for row in rows:
        # The row's own columns are the truth; the object may predate its last save.
        end = row["finished_at"] or now
        seconds = round(max((end - row["started_at"]).total_seconds(), 0.0), 3)
        runs.append(_ordered({**row["status"], "outcome": row["outcome"], "duration_seconds": seconds}))
    return {"runs": runs}
