"""Health and diagnostics: GET /health, GET /test-db."""

from __future__ import annotations

from flask import Blueprint

from api.db import config, ping

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """Liveness: the process answers (no database involved)."""
    return {"status": "ok", "service": "jssync"}


@bp.get("/test-db")
def test_db():
    """200 when staging and production both answer a query, else 503 naming the one that does not."""
    cfg = config()
    problems = {settings.target: ping(settings) for settings in (cfg.staging, cfg.production)}
    body = {target: problem or "ok" for target, problem in problems.items()}
    failing = [target for target, problem in problems.items() if problem]
    if not failing:
        return {"message": "Both databases answer", **body}
    error = "; ".join(f"{target} database does not answer: {problems[target]}" for target in failing)
    return {"error": error, **body}, 503
