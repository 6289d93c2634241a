"""A CLI sync and an HTTP trigger at the same time: exactly one runs, the other gets 409."""

from __future__ import annotations

from tests.api.support import api_key
from tests.helpers import jssync_process, seed, wait_for


def test_cli_sync_running_refuses_http_trigger(client, migrated, env, staging, sandbox):
    seed(staging, ["B0BOTH0001", "B0BOTH0002"])
    sandbox.set_faults(hold=True)  # the CLI's sync waits on its first API answer until released
    cli = jssync_process(["hourly"], env)  # a second process: the lock is PostgreSQL's, not a thread's
    try:
        wait_for(lambda: sandbox.stats()["in_flight"] >= 1, what="the CLI sync to ask the API")
        refused = client.post("/admin/hourly-sync", headers=api_key(migrated))
        assert refused.status_code == 409
        body = refused.get_json()
        assert body["status"]["is_running"] is True and body["status"]["kind"] == "hourly"
    finally:
        sandbox.set_faults(hold=False)
        _, err = cli.communicate(timeout=60)
    assert cli.returncode == 0, err
    # and the other way round is the same lock: after the CLI finished, HTTP runs
    again = client.post("/admin/hourly-sync", headers=api_key(migrated))
    assert again.status_code == 200 and again.get_json()["message"] == "Hourly sync completed"
