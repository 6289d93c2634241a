"""Every endpoint through the real WSGI app over the real databases and the sandbox: success
paths, every invalid parameter, one sync at a time, and no secret in any answer or log line."""

from __future__ import annotations

import dataclasses
import io
import json
import logging

import pytest

from api import create_app
from api.master import background
from loaders.migrate import migrate
from loaders.render import render
from sync import logs
from sync.guard import SyncLock
from sync.status import SyncStatus
from tests.api.support import admin, api_key
from tests.conftest import ROOT
from tests.helpers import Db, at_once, connect, free_port, seed, wait_for

ASINS = ["B0TEST0001", "B0TEST0002", "B0TEST0003"]
MASTER_FIELDS = list(SyncStatus().as_master_dict())[:14]  # the Go "Master Sync Status Response"
HOURLY_FIELDS = list(SyncStatus().as_dict())[:15]  # the Go "Hourly Sync Response" status


@pytest.fixture
def captured_logs(migrated):
    """The `jssync` logs of the test, as the service writes them (JSON lines, secrets scrubbed)."""
    stream = io.StringIO()
    logs.setup(debug=False, secrets=migrated.secrets(), stream=stream, json_lines=True)
    yield stream
    logger = logging.getLogger(logs.ROOT)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


# -- health -----------------------------------------------------------------------------------
def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_test_db_when_both_answer(client):
    response = client.get("/test-db")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Both databases answer", "staging": "ok", "production": "ok"}


@pytest.mark.parametrize("down", ["staging", "production"])
def test_test_db_names_the_database_that_does_not_answer(migrated, down):
    dead = dataclasses.replace(getattr(migrated, down), port=free_port())
    app = create_app(dataclasses.replace(migrated, **{down: dead}))
    response = app.test_client().get("/test-db")
    body = response.get_json()
    assert response.status_code == 503
    assert body["error"].startswith(f"{down} database does not answer")
    assert body[down] != "ok" and body["production" if down == "staging" else "staging"] == "ok"


def test_openapi_document_lists_every_endpoint(client, app):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routes = {
        (rule.rule, method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.endpoint.rpartition(".")[2] != "static"
    }  # files: the app's and the dashboard's
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == routes
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "apiKeyAuth"}


# -- hourly -----------------------------------------------------------------------------------
def test_hourly_sync_runs_to_completion(client, migrated, staging, production, sandbox, captured_logs):
    seed(staging, ASINS)
    before = client.get("/admin/hourly-sync/status", headers=api_key(migrated)).get_json()
    assert before["message"] == "No hourly sync has run yet" and before["status"]["is_running"] is False

    response = client.post("/admin/hourly-sync?marketplace=us&debug=true", headers=api_key(migrated))
    body = response.get_json()
    assert response.status_code == 200 and body["message"] == "Hourly sync completed"
    assert list(body["status"])[:15] == HOURLY_FIELDS
    assert body["status"]["total_asins_processed"] == 3 and body["status"]["successful_sales_sync"] == 3
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 3
    step_log = captured_logs.getvalue()
    assert '"step": "Cleanup"' in step_log and "DEBUG MODE ENABLED" in step_log  # ?debug=true
    logging.getLogger("jssync.test").debug("a line after the request")
    assert "a line after the request" not in captured_logs.getvalue()  # debug was that run's only

    status = client.get("/admin/hourly-sync/status", headers=api_key(migrated)).get_json()["status"]
    assert list(status)[:15] == HOURLY_FIELDS
    assert status["run_id"] == body["status"]["run_id"] and status["is_running"] is False


def test_debug_is_per_run_for_two_requests_at_once(migrated, sandbox, captured_logs, tmp_path):
    """Two hourly syncs in one worker process at once (two prefixes, so two locks), one with
    ?debug=true: only that run's lines include debug lines."""
    other = dataclasses.replace(
        migrated,
        staging=dataclasses.replace(migrated.staging, prefix=migrated.staging.prefix + "b"),
        production=dataclasses.replace(migrated.production, prefix=migrated.production.prefix + "b"),
        landing_dir=tmp_path / "other-landing",
    )
    for cfg in (migrated, other):
        migrate(cfg.staging)
        migrate(cfg.production)
        with connect(cfg, "staging") as conn, conn.cursor() as cur:
            cur.execute(render(str(ROOT / "sql/fixtures/product.sql"), "staging", cfg.staging.prefix))
        seed(Db(cfg, "staging"), ASINS)
    sandbox.set_faults(latency=0.3)  # both syncs are still fetching while the other runs
    clients = {
        "true": (create_app(migrated).test_client(), migrated),
        "false": (create_app(other).test_client(), other),
    }

    def post(debug: str):
        client, cfg = clients[debug]
        return lambda: client.post(f"/admin/hourly-sync?debug={debug}", headers=api_key(cfg)).get_json()

    debug, quiet = (answer["status"] for answer in at_once(post("true"), post("false")))
    assert debug["total_asins_processed"] == 3 and quiet["total_asins_processed"] == 3
    # They did overlap (else this test would prove nothing): each started before the other ended.
    assert debug["started_at"] < quiet["completed_at"] and quiet["started_at"] < debug["completed_at"]
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    severities = {
        run: {e["severity"] for e in lines if e["run_id"] == run} for run in (debug["run_id"], quiet["run_id"])
    }
    assert "DEBUG" in severities[debug["run_id"]]
    assert "INFO" in severities[quiet["run_id"]] and "DEBUG" not in severities[quiet["run_id"]]


def test_hourly_sync_answers_in_another_marketplace(client, migrated, staging, sandbox):
    seed(staging, ASINS[:1])
    response = client.post("/admin/hourly-sync?marketplace=de", headers=api_key(migrated))
    assert response.status_code == 200
    assert {e["marketplace"] for e in sandbox.stats()["log"]} == {"de"}


# -- master -----------------------------------------------------------------------------------
def test_master_sync_starts_in_the_background_and_status_follows(client, app, staging, sandbox):
    seed(staging, ASINS)
    before = client.get("/admin/master-sync/status", headers=admin()).get_json()
    assert before["message"] == "No master sync has run yet" and list(before["status"])[:14] == MASTER_FIELDS

    response = client.post("/admin/master-sync?marketplace=us&date_range=1year&sync_mode=fresh", headers=admin())
    started = response.get_json()
    assert response.status_code == 202 and started["message"] == "Master sync started"
    assert started["status"]["is_running"] is True and started["status"]["date_range"] == "1year"
    assert background(app).join(timeout=30)

    body = client.get("/admin/master-sync/status", headers=admin()).get_json()
    status = body["status"]
    assert list(status)[:14] == MASTER_FIELDS
    assert status["run_id"] == started["status"]["run_id"]
    progress = ("total_asins", "processed_asins", "current_batch", "total_batches")
    assert [status[k] for k in progress] == [3, 3, 1, 1]
    assert status["is_running"] is False and status["completed_at"] is not None and status["errors"] == []


def test_two_master_triggers_at_once_start_exactly_one(client, app, staging, sandbox):
    seed(staging, ASINS)
    sandbox.set_faults(latency=0.3)  # the winner is still running when the loser asks
    answers = at_once(*[lambda: client.post("/admin/master-sync", headers=admin())] * 2)
    assert sorted(a.status_code for a in answers) == [202, 409]
    started = next(a.get_json() for a in answers if a.status_code == 202)
    refused = next(a.get_json() for a in answers if a.status_code == 409)
    assert "another sync is running" in refused["error"]
    assert refused["status"]["run_id"] == started["status"]["run_id"] and refused["status"]["is_running"]

    # While it runs, the hourly endpoint is refused too, with the master's status.
    hourly = client.post("/admin/hourly-sync", headers=api_key(app.config["JSSYNC"]))
    assert hourly.status_code == 409 and hourly.get_json()["status"]["kind"] == "master"
    assert background(app).join(timeout=30)
    assert client.post("/admin/hourly-sync", headers=api_key(app.config["JSSYNC"])).status_code == 200


def test_a_sync_running_elsewhere_is_409_everywhere(client, migrated):
    with SyncLock(migrated.staging):  # as another process or instance would hold it
        for method, path, headers in [
            ("POST", "/admin/hourly-sync", api_key(migrated)),
            ("POST", "/admin/master-sync", admin()),
            ("POST", "/admin/sync-product-database", admin()),
            ("POST", "/admin/sync-jungle-scout", admin()),
        ]:
            response = client.open(path, method=method, headers=headers)
            assert response.status_code == 409, path
            assert set(response.get_json()) == {"error", "status"}


# -- manual -----------------------------------------------------------------------------------
def test_product_database_sync_of_listed_asins(client, staging, production, sandbox):
    response = client.post("/admin/sync-product-database?marketplace=us", json={"asins": ASINS[:2]}, headers=admin())
    body = response.get_json()
    assert response.status_code == 200 and body["message"] == "Product database sync completed"
    assert body["status"]["successful_product_sync"] == 2 and body["status"]["kind"] == "product"
    assert sandbox.stats()["by_endpoint"] == {"products": 1, "sales": 0}
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 2


def test_sales_sync_of_every_visible_asin(client, staging, production, sandbox):
    seed(staging, ASINS)
    seed(staging, ["B0HIDDEN01"], visible=False)
    response = client.post("/admin/sync-jungle-scout", headers=admin())
    body = response.get_json()
    assert response.status_code == 200 and body["message"] == "Sales estimate sync completed"
    assert body["status"]["successful_sales_sync"] == 3
    assert sandbox.stats()["by_endpoint"] == {"products": 0, "sales": 3}
    assert production.scalar('SELECT count(DISTINCT asin) FROM "{p}jungle_scout_sales_estimate_data"') == 3
    # An empty object means the same as no body.
    assert client.post("/admin/sync-jungle-scout", json={}, headers=admin()).status_code == 200


# -- validation -------------------------------------------------------------------------------
BAD_QUERIES = [
    ("POST", "/admin/hourly-sync", "marketplace=zz", "marketplace='zz' is not allowed: use one of us, uk"),
    ("POST", "/admin/hourly-sync", "marketplace=US", "use one of us, uk, ca, de, fr, in, it, es, mx, jp"),
    ("POST", "/admin/hourly-sync", "marketplace=us&marketplace=uk", "marketplace is given 2 times"),
    ("POST", "/admin/hourly-sync", "debug=yes", "debug='yes' is not allowed: use one of true, false"),
    ("POST", "/admin/hourly-sync", "debug=True", "use one of true, false"),
    ("POST", "/admin/master-sync", "date_range=2year", "date_range='2year' is not allowed: use one of 1month, 1year"),
    ("POST", "/admin/master-sync", "sync_mode=restart", "sync_mode='restart' is not allowed: use one of fresh, resume"),
    ("POST", "/admin/master-sync", "marketplace=", "marketplace='' is not allowed"),
    ("POST", "/admin/master-sync", "marketplace=" + "x" * 500, "..."),
    ("POST", "/admin/sync-product-database", "marketplace=gb", "marketplace='gb' is not allowed"),
    ("POST", "/admin/sync-jungle-scout", "marketplace=usa", "marketplace='usa' is not allowed"),
    (
        "POST",
        "/admin/master-sync",
        "sync-mode=resume",
        "unknown query parameter(s) 'sync-mode': it takes marketplace, date_range, sync_mode",
    ),
    (
        "POST",
        "/admin/hourly-sync",
        "date_range=1year",
        "unknown query parameter(s) 'date_range': it takes marketplace, debug",
    ),
    ("POST", "/admin/sync-product-database", "asins=B0TEST0001", "it takes marketplace"),
    ("GET", "/admin/master-sync/status", "verbose=1", "unknown query parameter(s) 'verbose': it takes none"),
    ("GET", "/admin/hourly-sync/status", "marketplace=us", "it takes none"),
]


@pytest.mark.parametrize(("method", "path", "query", "message"), BAD_QUERIES)
def test_bad_parameters_are_400_saying_what_is_allowed(client, migrated, sandbox, method, path, query, message):
    headers = api_key(migrated) if "hourly" in path else admin()
    response = client.open(f"{path}?{query}", method=method, headers=headers)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert len(response.get_json()["error"]) < 300  # long values are cut short
    assert sandbox.stats()["requests"] == 0


BAD_BODIES = [
    (b"{not json", "the request body is not JSON"),
    (b"\xff\xfe", "the request body is not JSON"),
    (b"[" * 100_000, "the request body is not JSON"),
    (b'["B0TEST0001"]', "must be a JSON object"),
    (b'"B0TEST0001"', "must be a JSON object"),
    (b'{"asins": "B0TEST0001"}', "asins must be a list"),
    (b'{"asins": null}', "asins must be a list"),
    (b'{"asins": []}', "asins holds 0 ASINs: give 1 to 1000"),
    (json.dumps({"asins": [f"B0{i:08d}" for i in range(1001)]}).encode(), "asins holds 1001 ASINs"),
    (b'{"asins": ["b0test0001"]}', "invalid entry ([0] 'b0test0001')"),
    (b'{"asins": ["B0TEST0001", "B0TEST"]}', "[1] 'B0TEST'"),
    (b'{"asins": ["B0TEST0001\\n"]}', "invalid entry"),
    (b'{"asins": ["A0TEST0001", 12, null, {}, [], "x", "y"]}', "7 invalid entries ([0] 'A0TEST0001', [1] a number"),
    (b'{"asins": ["B0TEST0001"], "marketplace": "uk"}', "unknown field(s) 'marketplace'"),
]


@pytest.mark.parametrize("path", ["/admin/sync-product-database", "/admin/sync-jungle-scout"])
@pytest.mark.parametrize(("body", "message"), BAD_BODIES, ids=[str(i) for i in range(len(BAD_BODIES))])
def test_bad_bodies_are_400(client, sandbox, path, body, message):
    response = client.post(path, data=body, headers={**admin(), "Content-Type": "application/json"})
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["error"]
    assert sandbox.stats()["requests"] == 0


def test_oversized_body_is_413_json(client):
    response = client.post("/admin/sync-jungle-scout", data=b" " * (2 << 20), headers=admin())
    assert response.status_code == 413 and "error" in response.get_json()


def test_unknown_paths_and_methods_answer_json(client):
    missing = client.get("/admin/nothing")
    assert missing.status_code == 404 and "GET /openapi.json lists the endpoints" in missing.get_json()["error"]
    wrong = client.delete("/admin/master-sync", headers=admin())
    assert wrong.status_code == 405 and wrong.get_json()["error"].endswith("allowed: POST")
    assert "POST" in wrong.headers["Allow"]


# -- secrets ----------------------------------------------------------------------------------
@pytest.fixture
def with_passwords(migrated):
    """The config with database passwords (a trusting test server ignores them), so they are
    among the secrets that must never show."""
    if migrated.staging.password and migrated.production.password:
        return migrated
    return dataclasses.replace(
        migrated,
        staging=dataclasses.replace(migrated.staging, password="staging-db-password-0123"),
        production=dataclasses.replace(migrated.production, password="production-db-password-0123"),
    )


def test_no_secret_in_any_answer_or_log_line(with_passwords, staging, sandbox):
    migrated = with_passwords
    stream = io.StringIO()
    logs.setup(debug=False, secrets=migrated.secrets(), stream=stream, json_lines=True)
    try:
        _exercise_every_endpoint(migrated, staging, sandbox, stream)
    finally:
        logger = logging.getLogger(logs.ROOT)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def _exercise_every_endpoint(migrated, staging, sandbox, captured_logs) -> None:
    app = create_app(migrated)
    client = app.test_client()
    seed(staging, ASINS[:2])
    sandbox.set_faults(fail_asins={ASINS[1]: 500})  # errors travel into statuses and logs
    answers = [
        client.get("/health"),
        client.get("/test-db"),
        client.get("/openapi.json"),
        client.post("/admin/hourly-sync?debug=true", headers=api_key(migrated)),
        client.get("/admin/hourly-sync/status", headers=api_key(migrated)),
        client.post("/admin/hourly-sync", headers={"X-API-KEY": migrated.sync_api_key[:-1]}),
        client.post("/admin/master-sync", headers=admin()),
        client.get("/admin/master-sync/status", headers={"Authorization": "Bearer " + migrated.jwt_secret}),
        client.post("/admin/sync-product-database", json={"asins": ASINS}, headers=admin()),
        client.post("/admin/sync-jungle-scout", data=b"{", headers=admin()),
        client.get("/nowhere"),
    ]
    assert background(client.application).join(timeout=30)
    answers.append(client.get("/admin/master-sync/status", headers=admin()))
    wait_for(
        lambda: (
            "master sync completed" in captured_logs.getvalue() or "master sync stopped" in captured_logs.getvalue()
        ),
        timeout=10,
    )
    texts = [a.get_data(as_text=True) + str(a.headers) for a in answers] + [captured_logs.getvalue()]
    assert len(captured_logs.getvalue().splitlines()) > 20
    secrets = migrated.secrets()
    assert {
        migrated.jwt_secret,
        migrated.sync_api_key,
        migrated.js_api_key,
        migrated.staging.password,
        migrated.production.password,
    } <= set(secrets)
    for text in texts:
        for secret in secrets:
            assert secret not in text
