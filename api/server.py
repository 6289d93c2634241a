"""`jssync serve`: the app under gunicorn, a production WSGI server, on $PORT."""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict):
        self.app = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.app


def serve(app: Flask, port: int, *, host: str = "0.0.0.0", workers: int = 2, threads: int = 8) -> None:
    """Serve `app` until stopped (SIGTERM/SIGINT): `workers` processes of `threads` threads.

    gthread workers keep answering /health and status requests while a thread runs a long
    hourly or manual sync; master syncs run in background threads of the worker that took them."""
    _Gunicorn(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            # Heartbeat of the worker's main loop, not a request time limit: gthread workers keep
            # beating while a thread runs a sync that takes minutes.
            "timeout": 120,
            "graceful_timeout": 30,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "jssync",
        },
    ).run()
