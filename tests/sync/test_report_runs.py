"""The report wired into real runs (PostgreSQL + sandbox + local webhook), and `jssync runs`."""

from __future__ import annotations

import dataclasses

from cli import main as cli
from sync.hourly import run_hourly
from tests.helpers import free_port, insert_dead_run, seed

GREEN, YELLOW, RED = 3066993, 16776960, 15158332


def fields_of(payload: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in payload["embeds"][0]["fields"]}


def test_a_run_posts_its_report_once(migrated, staging, sandbox, webhook, capture_logs):
    capture_logs()
    cfg = dataclasses.replace(migrated, discord_webhook_url=webhook.url)
    seed(staging, ["B0REP00001", "B0REP00002", "B0ZZREP001"])
    status = run_hourly(cfg, "us")
    [payload] = webhook.payloads
    embed = payload["embeds"][0]
    assert embed["color"] == YELLOW  # the unknown ASIN failed
    assert embed["footer"]["text"] == f"run {status.run_id}"
    fields = fields_of(payload)
    assert fields["Processed"] == "3 ASINs" and fields["New"] == "3" and fields["Product"] == "2/3"
    assert fields["Added"] == "3" and fields["API Calls"] == str(sandbox.stats()["requests"])
    assert fields["Failed"] == "1"


def test_only_on_change_against_the_run_history(migrated, staging, sandbox, webhook, capture_logs):
    capture_logs()
    cfg = dataclasses.replace(migrated, discord_webhook_url=webhook.url, notify_on_change_only=True)
    colours = lambda: [p["embeds"][0]["color"] for p in webhook.payloads]  # noqa: E731

    seed(staging, ["B0CHG00001"])
    run_hourly(cfg, "us")  # first run: nothing to compare with, sent
    assert colours() == [GREEN]
    run_hourly(cfg, "us")  # green again (nothing due): not sent
    assert colours() == [GREEN]

    seed(staging, ["B0CHG00002"])
    sandbox.set_faults(fail_asins={"B0CHG00002": 500})
    run_hourly(cfg, "us")  # yellow: sent
    assert colours() == [GREEN, YELLOW]

    # (last_failure_at moved back: the failing ASIN's backoff has passed, as on the next hour's run)
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET has_sales_data = false, '
        "sales_estimate_data_synced_at = NULL, product_data_synced_at = now() - interval '40 days', "
        "last_failure_at = last_failure_at - interval '1 day' WHERE asin = 'B0CHG00002'"
    )
    run_hourly(cfg, "us")  # yellow again: not sent
    assert colours() == [GREEN, YELLOW]

    sandbox.set_faults(fail_asins={})
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET '
        "product_data_synced_at = now() - interval '40 days', "
        "last_failure_at = last_failure_at - interval '1 day' WHERE asin = 'B0CHG00002'"
    )
    run_hourly(cfg, "us")  # green: sent
    assert colours() == [GREEN, YELLOW, GREEN]

    saved = staging.rows('SELECT kind, outcome FROM "{p}jssync_runs" ORDER BY seq')  # started_at: whole seconds
    assert saved == [
        ("hourly", "success"),
        ("hourly", "success"),
        ("hourly", "failures"),
        ("hourly", "failures"),
        ("hourly", "success"),
    ]


def test_staging_unreachable_still_sends_the_red_report(migrated, sandbox, webhook, capture_logs):
    capture_logs()
    down = dataclasses.replace(
        migrated, discord_webhook_url=webhook.url, staging=dataclasses.replace(migrated.staging, port=free_port())
    )
    status = run_hourly(down, "us")
    assert status.stopped_early
    [payload] = webhook.payloads
    embed = payload["embeds"][0]
    assert embed["color"] == RED and "Staging database unreachable" in embed["description"]


def test_runs_prints_the_latest_runs(migrated, env, staging, sandbox, monkeypatch, capsys, capture_logs):
    capture_logs()
    seed(staging, ["B0RUN00001"])
    first = run_hourly(migrated, "us")
    second = run_hourly(migrated, "us")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["runs", "--last", "1"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert second.run_id in out and first.run_id not in out

    assert cli.main(["runs"]) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    header = lines[1].split()
    assert header[:8] == ["started_at", "kind", "marketplace", "outcome", "seconds", "processed", "failed", "api_calls"]
    rows = [line.split() for line in lines if first.run_id in line or second.run_id in line]
    assert [row[9] for row in rows] == [second.run_id, first.run_id]  # newest first
    assert [row[2:5] for row in rows] == [["hourly", "us", "success"]] * 2
    assert [row[6] for row in rows] == ["0", "1"]  # processed: none due, then one ASIN

    dead = "00000000-0000-4000-8000-0000000dead2"  # a run its killed process left "running"
    insert_dead_run(staging, dead)
    assert cli.main(["runs", "--last", "1"]) == cli.EXIT_OK
    [line] = [line for line in capsys.readouterr().out.splitlines() if dead in line]
    assert line.split()[4] == "stopped" and f"{dead}  The process running this sync ended" in line


def test_runs_before_migrate_says_what_to_do(env, monkeypatch, capsys, capture_logs):
    capture_logs()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["runs"]) == cli.EXIT_FAILED
    assert "run `jssync migrate`" in capsys.readouterr().err


def test_a_webhook_down_or_rate_limiting_never_fails_the_sync(
    migrated, staging, production, sandbox, webhook, capture_logs
):
    logged = capture_logs()
    down = dataclasses.replace(migrated, discord_webhook_url=f"http://127.0.0.1:{free_port()}/api/webhooks/1/x")
    seed(staging, ["B0HOOK0001"])
    status = run_hourly(down, "us")
    assert not status.stopped_early and status.successful_product_sync == 1
    assert "could not be reached" in logged.text

    limited = dataclasses.replace(migrated, discord_webhook_url=webhook.url)
    webhook.answer(429, {"message": "You are being rate limited.", "retry_after": 60, "global": True})
    seed(staging, ["B0HOOK0002"])
    status = run_hourly(limited, "us")
    assert not status.stopped_early and status.successful_product_sync == 1
    assert len(webhook.received) == 1  # asked to wait a minute: logged and dropped, not waited for
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 2
