"""GET /dashboard: the operations page. The page itself holds no data and needs no login; its
script asks the admin endpoints with the JWT admin token the operator pastes (kept in
sessionStorage), so everything it shows is exactly what /admin/runs, /admin/usage and
/admin/freshness answer."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

bp = Blueprint(
    "dashboard", __name__, static_folder="static", static_url_path="/dashboard/static", template_folder="templates"
)

# Only the service itself: no CDN, no inline script, no frame around the page.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@bp.get("/dashboard")
def dashboard() -> Response:
    """The page (HTML; its script and style sheet are under /dashboard/static/)."""
    response = Response(render_template("dashboard.html"), mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
