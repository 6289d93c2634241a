"""Every error the service answers is JSON `{"error": "<what is wrong and what is allowed>"}`.

Views raise ApiProblem; Flask's own HTTP errors (404, 405, 413 ...) and anything unexpected are
turned into the same shape here, so no input ever gets an HTML page or a traceback.
"""

from __future__ import annotations

import logging

import psycopg2
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from loaders.connections import DatabaseUnavailable, first_line

log = logging.getLogger("jssync.api")


class ApiProblem(Exception):
    """An answer other than success: HTTP `status`, the error message, optional extra fields."""

    def __init__(self, http_status: int, message: str, /, *, headers: dict[str, str] | None = None, **extra: object):
        super().__init__(message)
        self.status = http_status
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> Response:
        body = {"error": self.message, **self.extra}
        resp = jsonify(body)
        resp.status_code = self.status
        resp.headers.update(self.headers)
        return resp


def _http_error(exc: HTTPException) -> Response:
    if isinstance(exc, NotFound):
        message = f"no such endpoint: {request.method} {request.path}; GET /openapi.json lists the endpoints"
    elif isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(m for m in exc.valid_methods or () if m not in ("HEAD", "OPTIONS")))
        message = f"method {request.method} is not allowed on {request.path}; allowed: {allowed}"
    else:
        message = f"{exc.name}: {exc.description}"
    resp = jsonify({"error": message})
    resp.status_code = exc.code or 500
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            resp.headers[name] = value  # Allow on 405, and the like
    return resp


def _database_error(exc: Exception) -> Response:
    # A database that is down or not migrated is the service's state, not the caller's fault.
    log.warning("database error answering %s %s: %s", request.method, request.path, first_line(exc))
    return ApiProblem(503, f"staging database unavailable: {first_line(exc)}").response()


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error answering %s %s", request.method, request.path)
    return ApiProblem(500, "internal error; the service log has the details").response()


def init_app(app: Flask) -> None:
    """Register the JSON error handlers."""
    app.register_error_handler(ApiProblem, lambda exc: exc.response())
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DatabaseUnavailable, _database_error)
    app.register_error_handler(psycopg2.Error, _database_error)
    app.register_error_handler(Exception, _unexpected)
