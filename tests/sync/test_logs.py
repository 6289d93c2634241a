"""Logs as Cloud Logging and an engineer at a terminal read them: JSON lines with severity,
message, run id and step; the Go service's debug prefixes; never a secret."""

from __future__ import annotations

import dataclasses
import json
import logging
import re

import pytest

from cli import main as cli
from sync import logs
from sync.hourly import run_hourly
from tests.helpers import seed

SECRETS = {
    "JUNGLE_SCOUT_API_KEY": "js-key-5f1c2a9b7e",
    "JWT_SECRET": "jwt-secret-9a8b7c6d5e4f3a2b",
    "SYNC_API_KEY": "sync-key-0f1e2d3c4b5a6978",
    "DB_STAGING_PASS": "staging-pass-77aa",
    "DB_PROD_PASS": "prod-pass-88bb",
    "DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/123456789012345678/"
    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrSt",
    "LANDING_ARCHIVE_URL": "s3://AKIAARCHIVEKEY42:archive%2Fsecret-9f8e7d@bucket/landing",
}
ARCHIVE_SECRETS = ["AKIAARCHIVEKEY42", "archive%2Fsecret-9f8e7d", "archive/secret-9f8e7d"]
TOKEN = SECRETS["DISCORD_WEBHOOK_URL"].rsplit("/", 1)[-1]
log = logging.getLogger("jssync.test")


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


def test_json_lines_carry_severity_message_run_id_and_step(capture_logs):
    logged = capture_logs(debug=True)
    logs.set_context("HOURLY_SYNC", "run-1234")
    log.debug("Staging: %d rows deleted", 0, extra={"step": "Cleanup"})
    log.warning("production is down")
    lines = logged.json()
    assert len(lines) == len(logged.lines) == 2
    assert lines[0] | {"time": None} == {
        "severity": "DEBUG",
        "message": "Staging: 0 rows deleted",
        "time": None,
        "flow": "HOURLY_SYNC",
        "run_id": "run-1234",
        "step": "Cleanup",
        "logger": "jssync.test",
    }
    assert lines[1]["severity"] == "WARNING" and lines[1]["step"] == ""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", lines[0]["time"])


def test_terminal_lines_read_like_the_go_service(capture_logs):
    logged = capture_logs(debug=True, json_lines=False)
    logs.set_context("HOURLY_SYNC", "run-1")
    log.debug("Staging: 0 rows deleted", extra={"step": "Cleanup"})
    log.error("Staging merge failed", extra={"step": "SyncASINs"})
    log.info("hourly sync completed")
    assert logged.lines == [
        "[HOURLY_SYNC] [Cleanup] Staging: 0 rows deleted",
        "[HOURLY_SYNC] [SyncASINs] ERROR: Staging merge failed",
        "[HOURLY_SYNC] hourly sync completed",
    ]


@pytest.mark.parametrize("json_lines", [True, False])
def test_no_secret_in_messages_or_tracebacks(capture_logs, json_lines):
    from sync import config as config_mod

    cfg = config_mod.load({**SECRETS, "JUNGLE_SCOUT_API_KEY_NAME": "acme"}, needs=["api", "http"])
    secrets = list(SECRETS.values()) + [TOKEN, cfg.js_authorization]
    logged = capture_logs(
        secrets=cfg.secrets() + [SECRETS["DB_STAGING_PASS"], SECRETS["DB_PROD_PASS"]], json_lines=json_lines
    )
    for name, value in SECRETS.items():
        log.info("%s is %s", name, value)
    log.warning("POST failed: url: /api/webhooks/123456789012345678/%s?wait=true", TOKEN)
    try:
        raise RuntimeError(f"connect to postgres://u:{SECRETS['DB_STAGING_PASS']}@h/db with {SECRETS['JWT_SECRET']}")
    except RuntimeError:
        log.exception("it broke")
    assert leaked(logged.text, secrets) == []
    assert logged.text.count("***") >= len(SECRETS) + 1
    assert "RuntimeError: connect to postgres://u:***@h/db with ***" in logged.text
    if json_lines:
        lines = logged.json()
        assert len(lines) == len(SECRETS) + 2
        assert "Traceback" in lines[-1]["stack_trace"] and lines[-1]["message"] == "it broke"


def test_an_unexpected_crash_is_logged_scrubbed(monkeypatch, capsys, capture_logs):
    capture_logs()
    logger = logging.getLogger(logs.ROOT)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)  # as before any command configured logging
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)

    def boom(argv=None):
        raise ValueError(
            f"cannot post to {SECRETS['DISCORD_WEBHOOK_URL']} with {SECRETS['SYNC_API_KEY']}; "
            f"archive key {ARCHIVE_SECRETS[0]}, secret {ARCHIVE_SECRETS[2]}"
        )

    monkeypatch.setattr(cli, "main", boom)
    with pytest.raises(SystemExit) as exit_info:
        cli.script()
    assert exit_info.value.code == cli.EXIT_FAILED
    err = capsys.readouterr().err
    line = json.loads(err.strip())  # not a terminal: one JSON object
    assert line["severity"] == "ERROR" and "ValueError: cannot post to *** with ***" in line["stack_trace"]
    assert "archive key ***, secret ***" in line["stack_trace"]
    assert leaked(err, list(SECRETS.values()) + [TOKEN, *ARCHIVE_SECRETS]) == []


def test_a_real_debug_run_prints_the_go_step_prefixes_and_no_secret(migrated, staging, sandbox, webhook, capture_logs):
    cfg = dataclasses.replace(migrated, discord_webhook_url=webhook.url)
    seed(staging, ["B0LOG00001", "B0LOG00002", "B0ZZLOG001"])
    sandbox.set_faults(fail_asins={"B0LOG00002": 500})
    webhook.answer(500)
    webhook.answer(500)  # the report fails too: its log line must not show the URL
    logged = capture_logs(debug=True, json_lines=False, secrets=cfg.secrets())
    status = run_hourly(cfg, "us", debug=True)
    text = logged.text
    for prefix in (
        "[HOURLY_SYNC] ========== DEBUG MODE ENABLED ==========",
        "[HOURLY_SYNC] [Cleanup] ",
        "[HOURLY_SYNC] [AddNew] ",
        "[HOURLY_SYNC] [Select] ",
        "[HOURLY_SYNC] [SyncASINs] ",
        "[HOURLY_SYNC] [Worker 0] ",
        "[HOURLY_SYNC] [NotFound] Marked ASIN B0ZZLOG001",
        "ERROR: Sales fetch for B0LOG00002 failed",
        "Sending Discord notification...",
        "Discord notification failed",
    ):
        assert prefix in text, prefix
    assert all(line.startswith("[HOURLY_SYNC] ") for line in logged.lines)
    assert leaked(text, cfg.secrets()) == [] and "1234567890/" not in text
    assert status.run_id


def test_json_lines_of_a_real_run_all_carry_the_run_id(migrated, staging, sandbox, capture_logs):
    seed(staging, ["B0LOG00003"])
    logged = capture_logs(debug=True, secrets=migrated.secrets())
    status = run_hourly(migrated, "us", debug=True)
    lines = logged.json()
    assert len(lines) == len(logged.lines) > 10
    assert {line["run_id"] for line in lines} == {status.run_id}
    assert {"Cleanup", "AddNew", "Select", "SyncASINs", "Worker 0"} <= {line["step"] for line in lines}
    assert {line["severity"] for line in lines} <= {"DEBUG", "INFO"}


def test_library_warnings_pass_the_same_filter_and_format(capture_logs, tmp_path):
    """dlt's own logger (re-initialized by each pipeline it makes) and the root logger that
    fsspec, s3fs and botocore log through: their warnings are JSON lines with no secret."""
    from dlt.common import logger as dlt_logger

    from extract.landing import Landing

    archive_key = ARCHIVE_SECRETS[0]
    logged = capture_logs(secrets=[SECRETS["DB_PROD_PASS"], archive_key])
    Landing(tmp_path / "landing")  # dlt (re)creates its logger here, after logs.setup()
    dlt_logger.warning(f"load failed for postgres://u:{SECRETS['DB_PROD_PASS']}@h/db")
    logging.getLogger("botocore.credentials").warning("found key %s in the URL", archive_key)
    logging.getLogger("fsspec").info("an info line of a library stays out")
    lines = logged.json()
    assert [(line["logger"], line["severity"]) for line in lines] == [
        ("dlt", "WARNING"),
        ("botocore.credentials", "WARNING"),
    ]
    assert lines[0]["message"] == "load failed for postgres://u:***@h/db"
    assert lines[1]["message"] == "found key *** in the URL"
    assert leaked(logged.text, [SECRETS["DB_PROD_PASS"], archive_key]) == []
