"""Health and diagnostics: GET /health, GET /test-db."""

from __future__ import annotations

from flask import Blueprint

from api.db import config, ping
from sync.config import STAGING_ONLY

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """Liveness: the process answers (no database involved)."""
    return {"status": "ok", "service": "jssync"}


@bp.get("/test-db")
def test_db():
    """200 when staging and production both answer a query, else 503 naming the one that does not.
    Staging-only (DB_PROD_HOST empty): 200 when staging answers, production "disabled"."""
    cfg = config()
    targets = [cfg.staging] if cfg.staging_only else [cfg.staging, cfg.production]
    problems = {settings.target: ping(settings) for settings in targets}
    body = {target: problem or "ok" for target, problem in problems.items()}
    if cfg.staging_only:
        body["production"] = "disabled"
    failing = [target for target, problem in problems.items() if problem]
    if not failing:
        message = f"Staging answers; {STAGING_ONLY}" if cfg.staging_only else "Both databases answer"
        return {"message": message, **body}
    error = "; ".join(f"{target} database does not answer: {problems[target]}" for target in failing)
    return {"error": error, **body}, 503
