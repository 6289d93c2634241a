"""Logs: readable lines on a terminal, one JSON object per line elsewhere (Cloud Logging).

Every line carries the flow (HOURLY_SYNC, MASTER_SYNC, ...), the run id and the step, and passes
through a filter that replaces any configured secret with ***. Debug mode prints the Go
service's step log: `[HOURLY_SYNC] [Cleanup] Staging: 0 rows deleted`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import IO
from urllib.parse import urlparse

from extract import archive_url
from extract.text import Scrubber

ROOT = "jssync"
# Per thread (and copied into threads a sync starts): an HTTP worker may run a background master
# sync while another request is refused; each keeps its own run id.
# `debug` is part of the context too: a run's debug lines show only when that run asked for them.
_NO_RUN = MappingProxyType({"flow": "JSSYNC", "run_id": "", "debug": False})
_CONTEXT: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar("jssync_log_context", default=_NO_RUN)
_SEVERITY = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARNING", "ERROR": "ERROR", "CRITICAL": "CRITICAL"}


# Variables holding secrets, for scrubbing before the configuration could be validated.
SECRET_VARIABLES = (
    "JUNGLE_SCOUT_API_KEY",
    "JWT_SECRET",
    "SYNC_API_KEY",
    "DISCORD_WEBHOOK_URL",
    "DB_STAGING_PASS",
    "DB_PROD_PASS",
)


def webhook_secrets(url: str) -> list[str]:
    """A webhook URL and the parts of it that show up alone in HTTP errors (its path holds the
    token: `/api/webhooks/ID/TOKEN`)."""
    if not url:
        return []
    path = urlparse(url).path.rstrip("/")
    return [url] + [part for part in (path, path.rsplit("/", 1)[-1]) if len(part) >= 16]


def env_secrets(env: Mapping[str, str]) -> list[str]:
    """The secret values in `env`, read without validating anything (for a crash report)."""
    values = [env.get(name, "") for name in SECRET_VARIABLES]
    values += webhook_secrets(env.get("DISCORD_WEBHOOK_URL", "").strip())
    values += archive_url.url_secrets(env.get("LANDING_ARCHIVE_URL", ""))
    return [v for v in values if v and len(v) >= 4]


def configured() -> bool:
    """True once setup() has given the `jssync` logger its handler."""
    return bool(logging.getLogger(ROOT).handlers)


def set_context(
    flow: str | None = None, run_id: str | None = None, *, debug: bool | None = None
) -> Mapping[str, object]:
    """Name the flow and run of this thread's later lines; `debug` shows their debug lines.
    Returns the context before, for restore_context()."""
    before = _CONTEXT.get()
    given = {"flow": flow, "run_id": run_id, "debug": debug}
    _CONTEXT.set({**before, **{name: value for name, value in given.items() if value is not None}})
    return before


def restore_context(before: Mapping[str, object]) -> None:
    """Put back a context set_context() returned (a finished run's lines end with it)."""
    _CONTEXT.set(before)


def context() -> Mapping[str, object]:
    """This thread's flow, run id and debug flag."""
    return _CONTEXT.get()


class DebugFilter(logging.Filter):
    """Lets a debug line through only when the process runs in debug mode or the line belongs to
    a run that asked for debug (its context says so): one `?debug=true` request makes only its own
    run verbose, not every request the worker serves at the same time."""

    def __init__(self, debug: bool = False):
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG or self.debug or bool(_CONTEXT.get().get("debug"))


class SecretFilter(logging.Filter):
    """Replaces every secret value in the rendered message with ***."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.scrub = Scrubber(secrets)
        self.secrets = self.scrub.secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.scrub(record.getMessage()), None
        if record.exc_info:
            # A traceback repeats exception messages (a URL with a token, a DSN): render it
            # here, scrubbed, so no formatter ever prints the raw one.
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        record.flow = _CONTEXT.get()["flow"]
        record.run_id = _CONTEXT.get()["run_id"]
        if not hasattr(record, "step"):
            record.step = ""
        return True


class TextFormatter(logging.Formatter):
    """`[FLOW] [Step] message`, as in the Go service's debug output."""

    def format(self, record: logging.LogRecord) -> str:
        step = f"[{record.step}] " if getattr(record, "step", "") else ""
        level = "" if record.levelno < logging.WARNING else f"{record.levelname}: "
        line = f"[{getattr(record, 'flow', context()['flow'])}] {step}{level}{record.getMessage()}"
        return line + ("\n" + record.exc_text if record.exc_text else "")


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the fields Cloud Logging understands."""

    def format(self, record: logging.LogRecord) -> str:
        body = {
            "severity": _SEVERITY.get(record.levelname, "DEFAULT"),
            "message": record.getMessage(),
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "flow": getattr(record, "flow", _CONTEXT.get()["flow"]),
            "run_id": getattr(record, "run_id", _CONTEXT.get()["run_id"]),
            "step": getattr(record, "step", ""),
            "logger": record.name,
        }
        if record.exc_text:
            # Cloud Error Reporting groups errors by the traceback in `stack_trace`.
            body["stack_trace"] = record.exc_text
        return json.dumps(body, ensure_ascii=False)


# Libraries log too, and their warnings carry URLs and error texts: dlt on a logger of its own
# that never propagates, the rest (fsspec, s3fs, botocore, urllib3) through the root logger.
LIBRARY_LOGGERS = ("dlt", "")


class LibraryHandler(logging.StreamHandler):
    """A library logger's handler: our filter and format. dlt, when it (re)initializes, takes the
    first handler it finds on its logger and sets a formatter of its own; this one keeps ours."""

    def setFormatter(self, fmt: logging.Formatter | None) -> None:  # noqa: N802 (logging's name)
        if self.formatter is None:
            super().setFormatter(fmt)


def _handler(handler: logging.Handler, formatter: logging.Formatter, *filters: logging.Filter) -> logging.Handler:
    handler.setFormatter(formatter)
    for line_filter in filters:
        handler.addFilter(line_filter)
    return handler


def setup(
    *, debug: bool = False, secrets: Iterable[str] = (), stream: IO[str] | None = None, json_lines: bool | None = None
) -> logging.Logger:
    """Configure the `jssync` logger once per process (again replaces the handler), and the
    libraries' loggers so that their warnings pass the same secret filter and format."""
    stream = stream or sys.stderr
    if json_lines is None:
        json_lines = not (hasattr(stream, "isatty") and stream.isatty())
    formatter = JsonFormatter() if json_lines else TextFormatter()
    secret_filter = SecretFilter(secrets)  # one for every handler below: it keeps no state per line
    logger = logging.getLogger(ROOT)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    # DebugFilter first: a dropped line is never formatted.
    logger.addHandler(_handler(logging.StreamHandler(stream), formatter, DebugFilter(debug), secret_filter))
    # The logger passes debug lines on; DebugFilter decides per run whether they are shown.
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name or None)
        for old in list(library.handlers):
            # dlt's own handler (raw text to stderr) goes; at the root only ours is replaced.
            if name or isinstance(old, LibraryHandler):
                library.removeHandler(old)
        library_handler = _handler(LibraryHandler(stream), formatter, secret_filter)
        library_handler.setLevel(logging.WARNING)
        library.addHandler(library_handler)
        if name:
            library.propagate = False  # its lines end here, not also at the root's handler
    return logger
