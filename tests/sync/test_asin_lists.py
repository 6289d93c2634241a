"""`jssync sync --asins FILE` (issue 19): a CSV with a BOM, a header, duplicates and bad lines syncs
its ASINs, in the catalogue or not, reporting every bad line by number; an empty file exits 2
and touches nothing; the listed ASINs are tracked in sync_status and a cleanup keeps them until
they have synced. Real PostgreSQL, the sandbox over HTTP, the CLI in this process."""

from __future__ import annotations

import codecs
import json

from sync.hourly import run_hourly
from tests.helpers import Db, run_cli, seed, sync_status

VISIBLE, HIDDEN, OUTSIDE = "B0LIST0001", "B0LIST0002", "B0LIST0003"  # OUTSIDE: not in the catalogue
SALES = '"{p}jungle_scout_sales_estimate_data"'
PRODUCTS = '"{p}jungle_scout_product_data"'


def tracked(db: Db) -> list[str]:
    return [r[0] for r in db.rows('SELECT asin FROM "{p}jungle_scout_sync_status" ORDER BY asin')]


def test_a_csv_file_syncs_its_asins_and_reports_bad_lines(migrated, staging, production, sandbox, env, tmp_path):
    seed(staging, [VISIBLE])
    seed(staging, [HIDDEN], visible=False)
    listing = tmp_path / "export.csv"
    listing.write_bytes(
        codecs.BOM_UTF8
        + (
            "Title,ASIN,Price\r\n"
            f"Blue shirt,{VISIBLE.lower()},9.99\r\n"
            f"Red shirt, {HIDDEN} ,4.50\r\n"
            "Totals,,14.49\r\n"
            f"Green shirt,{OUTSIDE},1\r\n"
            f"Blue shirt again,{VISIBLE},9.99\r\n"
            "Broken,B0NOPE,1\r\n"
        ).encode()
    )
    done = run_cli(["sync", "--asins", str(listing), "--json"], env)
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["kind"] == "manual" and status["outcome"] == "success"
    assert status["total_asins_processed"] == 3
    assert status["successful_product_sync"] == 3 and status["successful_sales_sync"] == 3
    assert status["new_asins_added"] == 3  # tracked before anything was fetched
    assert status["asin_file"]["asins"] == 3 and status["asin_file"]["duplicates"] == 1
    assert [(e["line"], e["value"]) for e in status["asin_file"]["errors"]] == [
        (4, "Totals,,14.49"),
        (7, "B0NOPE"),
    ]
    assert "line 4: has no value in the asin column (column 2)" in done.stderr
    assert "line 7: 'B0NOPE' is not an ASIN" in done.stderr
    assert tracked(staging) == [VISIBLE, HIDDEN, OUTSIDE]
    for db in (staging, production):
        assert db.scalar(f"SELECT count(DISTINCT asin) FROM {PRODUCTS}") == 3
        assert db.scalar(f"SELECT count(DISTINCT asin) FROM {SALES}") == 3
    assert sandbox.stats()["by_endpoint"] == {"products": 1, "sales": 3}
    runs = staging.rows('SELECT kind, outcome FROM "{p}jssync_runs"')
    assert runs == [("manual", "success")]


def test_only_sales_from_a_text_file(migrated, staging, production, sandbox, env, tmp_path):
    listing = tmp_path / "asins.txt"
    listing.write_text(f"{OUTSIDE}\n{OUTSIDE}\n")
    done = run_cli(["sync", "--asins", str(listing), "--only", "sales", "--json"], env)
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["kind"] == "sales" and status["successful_sales_sync"] == 1
    assert sandbox.stats()["by_endpoint"].get("products", 0) == 0 and sandbox.stats()["by_endpoint"]["sales"] == 1
    assert production.scalar(f"SELECT count(*) FROM {PRODUCTS}") == 0
    assert sync_status(staging, OUTSIDE)["has_sales_data"] is True


def test_a_file_with_nothing_valid_exits_2_and_touches_nothing(migrated, staging, sandbox, env, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(codecs.BOM_UTF8 + b"asin\r\n\r\n")
    done = run_cli(["sync", "--asins", str(empty)], env)
    assert done.returncode == 2 and "is empty" in done.stderr, done.stderr
    junk = tmp_path / "junk.csv"
    junk.write_text("asin\nhello\n12345\n")
    done = run_cli(["sync", "--asins", str(junk), "--json"], env)
    assert done.returncode == 2 and done.stdout == ""
    assert "has no valid ASIN (2 invalid lines)" in done.stderr
    assert "line 2: 'hello' is not an ASIN" in done.stderr and "line 3: '12345' is not an ASIN" in done.stderr
    missing = run_cli(["sync", "--asins", str(tmp_path / "nope.csv")], env)
    assert missing.returncode == 2 and "cannot read the ASIN file" in missing.stderr
    assert sandbox.stats()["requests"] == 0
    assert tracked(staging) == [] and staging.scalar('SELECT count(*) FROM "{p}jssync_runs"') == 0


def test_a_cleanup_keeps_listed_asins_until_they_have_synced(migrated, staging, sandbox, env, tmp_path):
    seed(staging, [HIDDEN, "B0LIST0009"], visible=False)  # both hidden by the site
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data) '
        "VALUES ('B0LIST0009', false, false)"
    )
    listing = tmp_path / "list.txt"
    listing.write_text(f"{HIDDEN}\n{OUTSIDE}\n")
    sandbox.set_faults(fail_next={"count": 3, "endpoint": "products", "status": 503})  # the product call fails
    failed = json.loads(run_cli(["sync", "--asins", str(listing), "--json"], env).stdout)
    assert failed["failed_asins"] == 2 and tracked(staging) == [HIDDEN, OUTSIDE, "B0LIST0009"]

    cleaned = run_hourly(migrated, "us")  # its cleanup drops the hidden ASIN nobody listed
    assert cleaned.cleaned_up_asins == 1
    assert tracked(staging) == [HIDDEN, OUTSIDE]  # listed, not synced yet: kept, and still due

    done = run_cli(["sync", "--asins", str(listing), "--json"], env)
    assert json.loads(done.stdout)["successful_product_sync"] == 2
    assert run_hourly(migrated, "us").cleaned_up_asins == 1  # synced now: the hidden one goes
    assert tracked(staging) == [OUTSIDE]  # outside the catalogue: kept, as before
