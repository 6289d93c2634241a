"""The HTTP service: the Go service's endpoints over the same syncs the command line runs.

Every state that matters lives in staging (run statuses, the master queue, the sync lock), so
any number of processes or instances answer alike.
"""

from __future__ import annotations

import logging

from flask import Flask

from sync import config as config_mod
from sync import logs

MAX_BODY = 1 << 20  # 1 MiB: a thousand ASINs take about 14 KiB

log = logging.getLogger("jssync.api")


def create_app(config: config_mod.Config | None = None) -> Flask:
    """Build the app for `config`; None reads and validates the environment (ConfigError) and
    sets up logging, as a WSGI server importing `api:create_app()` needs."""
    from api import admin_data, dashboard, db, errors, health, hourly, manual, master, openapi, runs, verify

    if config is None:
        config = config_mod.load(needs=[config_mod.NEEDS_DB, config_mod.NEEDS_API, config_mod.NEEDS_HTTP])
        logs.setup(secrets=config.secrets())
    app = Flask(__name__)
    app.config["JSSYNC"] = config
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False  # the Go service's field order
    app.extensions["jssync.background"] = master.BackgroundSyncs()
    db.init_app(app)
    errors.init_app(app)
    for blueprint in (
        health.bp,
        hourly.bp,
        master.bp,
        manual.bp,
        openapi.bp,
        runs.bp,
        admin_data.bp,
        dashboard.bp,
        verify.bp,
    ):
        app.register_blueprint(blueprint)
    if len(config.jwt_secret.encode()) < 32:
        log.warning("JWT_SECRET has fewer than 32 bytes; HS256 wants at least 32 (PyJWT warns too)")
    return app
