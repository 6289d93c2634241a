"""`jssync verify`: production tampered with in five ways is found exactly, repaired, and the
extra row deleted only when asked; a verify during a sync is refused; the per-run parity check."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from sync.guard import SyncAlreadyRunning, SyncLock
from sync.hourly import run_hourly
from sync.verify import human, result_fields, run_verify
from tests.helpers import Db, run_cli, seed

ASINS = ["B0VERIFY01", "B0VERIFY02", "B0VERIFY03", "B0VERIFY04", "B0VERIFY05"]
SALES = '"{p}jungle_scout_sales_estimate_data"'
PRODUCTS = '"{p}jungle_scout_product_data"'
YESTERDAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
OLD_DAY = YESTERDAY.replace(year=YESTERDAY.year - 3)


def checksums(db: Db) -> tuple:
    """Every row of both tables, as md5s of their text: equal on both targets when in sync."""
    return (
        db.rows(f"SELECT md5(string_agg(t::text, '|' ORDER BY asin, report_date)) FROM {PRODUCTS} t"),
        db.rows(f"SELECT md5(string_agg(t::text, '|' ORDER BY asin, marketplace, date)) FROM {SALES} t"),
    )


@pytest.fixture
def synced(migrated, staging, production, sandbox):
    """Both targets filled by a real hourly sync of five ASINs."""
    seed(staging, ASINS)
    status = run_hourly(migrated, "us")
    assert status.total_asins_processed == 5 and not status.stopped_early
    assert status.as_dict()["parity"] == {"checked_asins": 5, "drifted_asins": []}
    return migrated


def tamper(production: Db) -> None:
    """Five drifts: missing sales rows, a different sales day, a different product title, an
    extra sales row, a missing product row."""
    production.execute(
        f"DELETE FROM {SALES} WHERE asin = %s AND date > %s", (ASINS[0], YESTERDAY - dt.timedelta(days=5))
    )
    production.execute(
        f"UPDATE {SALES} SET estimated_units_sold = estimated_units_sold + 7 WHERE asin = %s AND date = %s",
        (ASINS[1], YESTERDAY),
    )
    production.execute(f"UPDATE {PRODUCTS} SET title = 'tampered' WHERE asin = %s", (ASINS[2],))
    # A stale extra row (a restored backup, a bug): stamped before staging's rows of the ASIN. A
    # row stamped later would be another writer's, which --delete-extra never deletes.
    production.execute(
        f"INSERT INTO {SALES} (asin, marketplace, date, estimated_units_sold, updated_at, created_at) "
        "VALUES (%s, 'us', %s, 3, %s, %s)",
        (ASINS[3], OLD_DAY, OLD_DAY, OLD_DAY),
    )
    production.execute(f"DELETE FROM {PRODUCTS} WHERE asin = %s", (ASINS[4],))


def test_in_sync_after_a_sync(synced, staging, production, env):
    done = run_cli(["verify", "--json"], env)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert list(body) == [
        "in_sync",
        "compared",
        "drift",
        "repaired",
        "seconds",
        "newer_in_production",
        "production_kept_newer",
    ]
    assert body["in_sync"] is True and body["drift"] == [] and body["repaired"] == 0
    assert body["newer_in_production"] == [] and body["production_kept_newer"] == 0
    sales_rows = staging.scalar(f"SELECT count(*) FROM {SALES}")
    assert body["compared"] == {
        "jungle_scout_product_data": {"rows": 5, "asins": 5},
        "jungle_scout_sales_estimate_data": {"rows": sales_rows, "asins": 5},
    }


def test_drift_is_named_repaired_and_extra_deleted_only_when_asked(synced, staging, production, env):
    tamper(production)
    found = run_cli(["verify", "--json"], env)
    assert found.returncode == 1, found.stderr
    drift = json.loads(found.stdout)["drift"]
    got = {(d["table"], d["asin"], d["kind"], tuple(d["columns"])): d["rows"] for d in drift}
    assert got == {
        ("jungle_scout_sales_estimate_data", ASINS[0], "missing", ()): 5,
        ("jungle_scout_sales_estimate_data", ASINS[1], "different", ("estimated_units_sold",)): 1,
        ("jungle_scout_product_data", ASINS[2], "different", ("title",)): 1,
        ("jungle_scout_sales_estimate_data", ASINS[3], "extra", ()): 1,
        ("jungle_scout_product_data", ASINS[4], "missing", ()): 1,
    }

    status = run_verify(synced)
    text = human(status)
    assert f"jungle_scout_product_data {ASINS[2]}: different, 1 rows (title)" in text
    assert f"jungle_scout_sales_estimate_data {ASINS[3]}: extra, 1 rows" in text
    assert "jungle_scout_product_data: 5 rows, 5 ASINs compared" in text  # staging's counts

    repaired = result_fields(run_verify(synced, repair=True))
    assert repaired["in_sync"] is False  # the extra row is still there
    assert repaired["repaired"] == 5 + 1 + 1 + 1
    after = run_verify(synced)["drift"]
    assert [(d["asin"], d["kind"]) for d in after] == [(ASINS[3], "extra")]

    deleted = run_cli(["verify", "--json", "--repair", "--delete-extra"], env)
    assert deleted.returncode == 0 and json.loads(deleted.stdout)["in_sync"] is True
    assert checksums(staging) == checksums(production)
    clean = run_verify(synced)
    assert clean["in_sync"] is True and clean["drift"] == []

    # Each verify is in the run history, kind verify, the result retrievable.
    runs = staging.rows("SELECT outcome, status FROM \"{p}jssync_runs\" WHERE kind = 'verify' ORDER BY seq")
    assert [r[0] for r in runs] == ["failures"] * 5 + ["success"]
    assert runs[2][1]["repaired"] == 8 and runs[4][1]["deleted"] == 1


def test_marketplace_limits_the_sales_compared(synced, production):
    production.execute(f"UPDATE {SALES} SET estimated_units_sold = 0 WHERE asin = %s", (ASINS[1],))
    other = run_verify(synced, marketplace="uk")
    assert other["in_sync"] is True and other["compared"]["jungle_scout_sales_estimate_data"]["rows"] == 0
    us = run_verify(synced, marketplace="us")
    assert [(d["asin"], d["kind"]) for d in us["drift"]] == [(ASINS[1], "different")]


def test_verify_during_a_sync_is_refused(synced, env):
    with SyncLock(synced.staging):
        with pytest.raises(SyncAlreadyRunning):
            run_verify(synced)
        done = run_cli(["verify", "--json"], env)
        assert done.returncode == 3 and "another sync is running" in done.stderr


def test_parity_after_publish_names_drifted_asins(synced, staging, production, sandbox):
    clean = run_hourly(synced, "us")  # nothing is due: nothing published, nothing checked
    assert clean.as_dict()["parity"] == {"checked_asins": 0, "drifted_asins": []}
    # Production gains a row staging lacks, outside what the next sync of that ASIN rewrites.
    production.execute(
        f"INSERT INTO {SALES} (asin, marketplace, date, estimated_units_sold) VALUES (%s, 'us', %s, 3)",
        (ASINS[0], OLD_DAY),
    )
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_data_synced_at = product_data_synced_at '
        "- interval '40 days', sales_estimate_data_synced_at = sales_estimate_data_synced_at "
        "- interval '40 days' WHERE asin = ANY(%s)",
        (ASINS[:2],),
    )
    status = run_hourly(synced, "us").as_dict()
    assert status["total_asins_processed"] == 2
    assert status["parity"] == {"checked_asins": 2, "drifted_asins": [ASINS[0]]}
    assert status["outcome"] == "failures"  # yellow
    assert any(ASINS[0] in s for s in status["error_summary"]["sample_errors"])


def test_every_verify_report_is_scrubbed_of_the_secrets(migrated, staging, webhook):
    """A secret in what a verify found (a drifted ASIN equal to production's password) and in the
    error that stopped one (a production prefix equal to the JWT secret) never reaches the webhook."""
    password, jwt_secret = "B0SECRET42", "leakyprefix_"
    hooked = dataclasses.replace(
        migrated,
        discord_webhook_url=webhook.url,
        jwt_secret=jwt_secret,
        production=dataclasses.replace(migrated.production, password=password),
    )
    staging.execute(
        f"INSERT INTO {PRODUCTS} (asin, report_date, title) VALUES (%s, %s, 'a title')", (password, YESTERDAY)
    )
    drifted = run_verify(hooked)
    assert [(d["asin"], d["kind"]) for d in drifted["drift"]] == [(password, "missing")]
    unmigrated = dataclasses.replace(hooked, production=dataclasses.replace(hooked.production, prefix=jwt_secret))
    failed = run_verify(unmigrated)
    assert failed["stopped_early"] and "***" in failed["stop_reason"] and jwt_secret not in failed["stop_reason"]

    bodies = [json.dumps(p) for p in webhook.payloads]
    assert len(bodies) == 2
    assert "Drift" in bodies[0] and "Verify failed" in bodies[1]
    for body in bodies:
        assert password not in body and jwt_secret not in body and "***" in body
