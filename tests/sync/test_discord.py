"""The Discord report against a local webhook: colours, fields, limits, 429s, failures, secrets."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
import time

import pytest

from extract import retrying
from sync import config as config_mod
from sync import report
from sync.status import SyncStatus
from tests.sync.conftest import TOKEN, limit_problems

API_KEY = "js-api-key-0123456789abcdef"
START = dt.datetime(2024, 1, 15, 10, 0, 0, tzinfo=dt.UTC)


def finished(**changes: object) -> SyncStatus:
    """A finished hourly status like the Go service's notification example."""
    status = SyncStatus(
        kind="hourly",
        run_id="00000000-0000-4000-8000-000000000001",
        marketplace="us",
        started_at=START,
        completed_at=START + dt.timedelta(minutes=2, seconds=15),
    )
    values = dict(
        total_asins_processed=50,
        new_asins_synced=12,
        stale_asins_synced=38,
        successful_product_sync=50,
        successful_sales_sync=50,
        cleaned_up_asins=5,
        new_asins_added=3,
        total_api_calls=51,
        api_usage={"requests": 51, "retries": 0, "rate_limited": 0},
    )
    values.update(changes)
    for name, value in values.items():
        setattr(status, name, value)
    return status


def with_failures(status: SyncStatus) -> SyncStatus:
    status.failed_asins = 2
    status.successful_product_sync = 48
    status.successful_sales_sync = 45
    status.errors.add("db", "Staging product store for B01XYZ failed: connection refused")
    status.errors.add("api", "Sales fetch for B02ABC failed: rate limit exceeded")
    return status


def cfg(url: str = "", on_change: bool = False) -> config_mod.Config:
    env = {
        "JUNGLE_SCOUT_API_KEY": API_KEY,
        "DISCORD_WEBHOOK_URL": url,
        "DISCORD_NOTIFY_ON_CHANGE": "true" if on_change else "false",
    }
    return config_mod.load(env, needs=["api"])


def fields_of(payload: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in payload["embeds"][0]["fields"]}


def test_success_is_green_with_the_go_fields(webhook):
    delivery = report.notify(cfg(webhook.url), finished())
    assert delivery == report.Delivery(True, "sent", 1)
    [request] = webhook.received
    assert request["path"] == f"/api/webhooks/1234567890/{TOKEN}"
    assert request["query"] == {"wait": ["true"]}
    embed = request["payload"]["embeds"][0]
    assert embed["color"] == 3066993
    assert embed["title"] == "JungleScout Hourly Sync"
    assert embed["description"].startswith("Status: Completed successfully")
    assert embed["timestamp"] == "2024-01-15T10:02:15Z"
    assert fields_of(request["payload"]) == {
        "Processed": "50 ASINs",
        "New": "12",
        "Stale": "38",
        "Product": "50/50",
        "Sales": "50",
        "Duration": "2m 15s",
        "Cleaned": "5",
        "Added": "3",
        "API Calls": "51",
    }
    assert request["payload"]["allowed_mentions"] == {"parse": []}


def test_completed_with_failures_is_yellow_with_error_counts_and_samples(webhook):
    status = with_failures(finished())
    status.api_usage = {"requests": 51, "retries": 2, "rate_limited": 1}
    report.notify(cfg(webhook.url), status)
    payload = webhook.payloads[0]
    embed = payload["embeds"][0]
    assert embed["color"] == 16776960
    assert embed["description"].startswith("Status: Completed with failures")
    fields = fields_of(payload)
    assert fields["Product"] == "48/50" and fields["Sales"] == "45" and fields["Failed"] == "2"
    assert fields["API Calls"] == "51 (2 retries, 1 rate-limited)"
    assert fields["Errors"] == "DB: 1 | API: 1 | Parse: 0 | Other: 0"
    assert "Staging product store for B01XYZ failed: connection refused" in fields["Sample Errors"]
    assert "Sales fetch for B02ABC failed: rate limit exceeded" in fields["Sample Errors"]


def test_pending_production_merges_alone_make_it_yellow(webhook):
    report.notify(cfg(webhook.url), finished(production_pending=3))
    payload = webhook.payloads[0]
    assert payload["embeds"][0]["color"] == 16776960
    assert fields_of(payload)["Production"] == "3 merges pending"


def test_stopped_is_red_with_the_reason(webhook):
    status = finished()
    status.stop("Staging merge failed: connection refused")
    report.notify(cfg(webhook.url), status)
    embed = webhook.payloads[0]["embeds"][0]
    assert embed["color"] == 15158332
    assert "Status: Stopped early" in embed["description"]
    assert "Reason: Staging merge failed: connection refused" in embed["description"]
    assert fields_of(webhook.payloads[0])["Errors"] == "DB: 1 | API: 0 | Parse: 0 | Other: 0"


def test_master_sync_shows_the_master_fields(webhook):
    status = finished(
        kind="master",
        total_asins=1500,
        current_batch=15,
        total_batches=15,
        date_range="1year",
        sync_mode="fresh",
        total_asins_processed=1500,
        successful_product_sync=1490,
        successful_sales_sync=1480,
        failed_asins=10,
    )
    status.errors.add("api", "Sales fetch for B0MASTER01 failed: timeout")
    report.notify(cfg(webhook.url), status)
    embed = webhook.payloads[0]["embeds"][0]
    assert embed["title"] == "JungleScout Master Sync"
    fields = fields_of(webhook.payloads[0])
    assert fields["Total ASINs"] == "1500" and fields["Batches"] == "15/15"
    assert fields["Date range"] == "1year" and fields["Mode"] == "fresh"
    assert fields["Product"] == "1490/1500" and fields["Failed"] == "10"


def test_very_long_errors_are_cut_to_discords_limits_never_refused(webhook):
    status = with_failures(finished())
    for i in range(10):
        status.errors.add("api", f"error {i} " + "x" * 5000)
    status.stop("Staging merge failed: " + "y" * 20_000)
    payload = report.build_payload(status)
    assert limit_problems(payload) == []
    embed = payload["embeds"][0]
    assert "Reason: Staging merge failed: yyy" in embed["description"]
    assert embed["description"].endswith("…")
    samples = fields_of(payload)["Sample Errors"].splitlines()
    assert len(samples) == 5  # the status keeps five samples; each gets its share of the field
    assert all(line.startswith("• ") for line in samples)

    assert report.notify(cfg(webhook.url), status).sent  # the receiver refuses anything over a limit


def test_fit_embed_keeps_every_limit():
    embed = {
        "title": "t" * 1000,
        "description": "d" * 10_000,
        "footer": {"text": "f" * 3000},
        "fields": [{"name": "n" * 300, "value": "v" * 3000, "inline": True} for _ in range(40)]
        + [{"name": "", "value": ""}],
    }
    fitted = report.fit_embed(embed)
    assert limit_problems({"embeds": [fitted]}) == []
    assert len(fitted["fields"]) == 25
    assert report.embed_size(fitted) <= 6000


def test_429_is_honoured_through_retry_after(webhook):
    webhook.answer(429, {"message": "You are being rate limited.", "retry_after": 0.3, "global": False})
    started = time.monotonic()
    with retrying.wait_scale_set(1):  # this test is about the wait itself
        delivery = report.notify(cfg(webhook.url), finished())
    assert delivery.sent and delivery.attempts == 2
    assert time.monotonic() - started >= 0.3
    assert len(webhook.received) == 2 and webhook.payloads[0] == webhook.payloads[1]


def test_429_asking_for_too_long_is_not_retried(webhook):
    webhook.answer(429, {"message": "You are being rate limited.", "retry_after": 30, "global": False})
    delivery = report.notify(cfg(webhook.url), finished())
    assert not delivery.sent and len(webhook.received) == 1
    assert "429" in delivery.reason  # one request: it did not wait 30 s to try again


def test_at_most_two_tries(webhook):
    for _ in range(3):
        webhook.answer(429, {"retry_after": 0})
    delivery = report.notify(cfg(webhook.url), finished())
    assert not delivery.sent and len(webhook.received) == 2


def test_other_4xx_is_not_retried(webhook):
    webhook.answer(404, {"message": "Unknown Webhook", "code": 10015})
    delivery = report.notify(cfg(webhook.url), finished())
    assert not delivery.sent and len(webhook.received) == 1
    assert delivery.reason == "HTTP 404: Unknown Webhook (not retried)"


def test_5xx_is_retried_once(webhook):
    webhook.answer(500)
    webhook.answer(502)
    delivery = report.notify(cfg(webhook.url), finished())
    assert not delivery.sent and len(webhook.received) == 2 and delivery.reason.startswith("HTTP 502")


def test_a_slow_webhook_costs_seconds_not_minutes(webhook, monkeypatch):
    # notify() sends with report.TIMEOUT: 2 s to connect, 3 s to read, then it gives up.
    assert report.TIMEOUT == (2.0, 3.0)
    assert inspect.signature(report.send).parameters["timeout"].default == report.TIMEOUT
    # The same path with the read timeout cut to 0.2 s, so the test waits that long and not 3 s:
    # it gives up at the read timeout, not at the webhook's 10 s, and does not retry.
    monkeypatch.setattr(report, "send", functools.partial(report.send, timeout=(2.0, 0.2)))
    webhook.answer(200, delay=10)
    delivery = report.notify(cfg(webhook.url), finished())
    assert not delivery.sent and delivery.reason == "the webhook did not answer in time"
    assert len(webhook.received) == 1


def test_unset_url_sends_nothing_and_says_so_once(capture_logs):
    logged = capture_logs()
    delivery = report.notify(cfg(""), finished())
    assert delivery == report.Delivery(False, "no webhook configured")
    lines = logged.json()
    assert len(lines) == 1 and "DISCORD_WEBHOOK_URL is not set" in lines[0]["message"]


def test_only_on_change_compares_colours_with_the_previous_run(webhook, capture_logs):
    capture_logs()
    config = cfg(webhook.url, on_change=True)
    assert report.notify(config, finished(), previous="success").reason == "outcome unchanged"
    assert report.notify(config, finished(), previous=None).sent  # first run of its kind
    assert report.notify(config, with_failures(finished()), previous="success").sent
    assert report.notify(config, with_failures(finished()), previous="failures").reason == "outcome unchanged"
    stopped = finished()
    stopped.stop("boom")
    assert report.notify(config, stopped, previous="failures").sent
    assert len(webhook.received) == 3
    # Without the setting every run is reported.
    assert report.notify(cfg(webhook.url), finished(), previous="success").sent


def test_the_url_and_its_token_never_reach_a_log_line(webhook, capture_logs):
    config = cfg(webhook.url)
    logged = capture_logs(debug=True, secrets=config.secrets())
    webhook.answer(500, {"message": f"echoing {webhook.url}"})
    webhook.answer(500, {"message": f"echoing {TOKEN}"})
    assert not report.notify(config, finished()).sent
    # An address where nothing listens: requests' exception text would hold the URL.
    closed = cfg(webhook.url.replace(str(webhook.server.server_address[1]), "9"))
    assert not report.notify(closed, finished()).sent
    assert "could not be reached (ConnectionError)" in logged.text
    assert TOKEN not in logged.text and "1234567890/" not in logged.text
    assert len(logged.json()) == len(logged.lines)


def test_secrets_are_scrubbed_from_the_report(webhook):
    config = cfg(webhook.url)
    status = finished()
    status.errors.add("api", f"Sales fetch failed: server echoed Authorization {API_KEY}")
    report.notify(config, status)
    text = str(webhook.payloads[0])
    assert API_KEY not in text and "Authorization ***" in text


def test_an_unexpected_error_is_logged_not_raised(monkeypatch, webhook, capture_logs):
    logged = capture_logs()
    monkeypatch.setattr(report, "build_payload", lambda *a, **k: 1 / 0)
    delivery = report.notify(cfg(webhook.url), finished())
    assert not delivery.sent and "ZeroDivisionError" in logged.text


@pytest.mark.parametrize(("seconds", "text"), [(5, "5s"), (135, "2m 15s"), (3723, "1h 2m 3s"), (0.4, "0s")])
def test_duration_text(seconds, text):
    assert report.duration_text(seconds) == text


def test_existing_query_of_the_webhook_url_is_kept(webhook):
    report.notify(dataclasses.replace(cfg(webhook.url), discord_webhook_url=webhook.url + "?thread_id=42"), finished())
    assert webhook.received[0]["query"] == {"thread_id": ["42"], "wait": ["true"]}
