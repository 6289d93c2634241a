"""`jssync serve`: the app under gunicorn, a production WSGI server, on $PORT.

Cloud Run stops an instance with SIGTERM and kills it 10 s later. gunicorn then stops its workers
gracefully within GRACEFUL_TIMEOUT; in each worker SIGTERM (and SIGINT, SIGQUIT) also stops the
syncs it runs (sync.signals): an hourly or manual sync in a request thread answers "stopped
early", and a background master sync closes as stopped early, so `sync_mode=resume` continues it.
The worker waits for them before it exits.
"""

from __future__ import annotations

import signal
import time

from flask import Flask
from gunicorn.app.base import BaseApplication

from api.master import background
from sync import signals

# Under Cloud Run's 10 s from SIGTERM to SIGKILL: a stopping sync closes within
# sync.run.STOP_SECONDS (7 s), then its worker exits.
GRACEFUL_TIMEOUT = 8


def _post_worker_init(worker) -> None:
    """In each worker: SIGTERM, SIGINT and SIGQUIT note the signal (its syncs stop) and then end
    the worker gracefully; gunicorn's own SIGINT/SIGQUIT handler would exit at once, killing the
    background syncs mid-batch."""
    signals.start_monitor()
    worker.jssync_stop_started = None

    def handler(signum: int, frame: object) -> None:
        signals.note(signum)
        if worker.jssync_stop_started is None:
            worker.jssync_stop_started = time.monotonic()
        worker.handle_exit(signum, frame)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(signum, handler)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn has it: active requests' calls go on


def _worker_exit(server, worker) -> None:
    """Before a worker process ends: let its background syncs close their runs (they were asked
    to stop), within what is left of the graceful timeout."""
    app = getattr(worker, "wsgi", None)
    if not isinstance(app, Flask):
        return
    started = getattr(worker, "jssync_stop_started", None) or time.monotonic()
    left = max(0.5, GRACEFUL_TIMEOUT - 0.5 - (time.monotonic() - started))
    if not background(app).join(timeout=left):
        worker.log.warning("a background sync did not close within %.1f s of the stop", left)


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
            "graceful_timeout": GRACEFUL_TIMEOUT,
            "post_worker_init": _post_worker_init,
            "worker_exit": _worker_exit,
            # No control socket (gunicornc): gunicorn stops it before its workers, which costs a
            # stop up to 4 s of Cloud Run's 10, and every instance on a machine shares its path.
            "control_socket_disable": True,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "jssync",
        },
    ).run()
