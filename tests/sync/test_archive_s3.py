"""The landing archive on s3:// (LANDING_ARCHIVE_URL) with the access key in the URL
(s3://KEY:SECRET@bucket/path): a sync archives through s3fs and dlt's filesystem destination to a
stand-in S3 on loopback, the analysts' commands read it back, and the secret shows up nowhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.fake_s3 import FakeS3
from tests.helpers import run_cli, seed

KEY, SECRET = "AKIAJSSYNCTEST0001", "s3cr3t/Key+ForTheArchive0123456789abcdef"
BUCKET = "jssync-archive"


@pytest.fixture
def s3() -> Iterator[FakeS3]:
    with FakeS3() as server:
        yield server


def files_holding(root: Path, text: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_an_s3_archive_with_the_key_in_its_url_works_and_never_shows_it(env, staging, s3, tmp_path):
    quoted = SECRET.replace("/", "%2F").replace("+", "%2B")
    archive_env = {
        **env,
        "LANDING_ARCHIVE_URL": f"s3://{KEY}:{quoted}@{BUCKET}/{tmp_path.name}",
        "AWS_ENDPOINT_URL": s3.url,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    seed(staging, ["B0S3ARCH01", "B0S3ARCH02"])
    run = run_cli(["hourly", "--json"], archive_env)
    assert run.returncode == 0, run.stderr
    status = json.loads(run.stdout)
    assert status["outcome"] == "success" and status["warnings"] == [], status
    assert status["archive"]["url"] == f"s3://{BUCKET}/{tmp_path.name}"
    assert status["archive"]["pending_loads"] == 0 and status["archive"]["files"] >= 4
    objects = s3.objects_of(BUCKET)
    parquet = [k for k in objects if k.endswith(".parquet")]
    assert {k.split("/")[2] for k in parquet} >= {"products", "sales_estimates", "asin_outcomes", "sync_batches"}
    # Every request was signed with the URL's key: s3fs and dlt both got it, as arguments.
    signed = {a.split("Credential=")[1].split("/")[0] for a in s3.authorizations if "Credential=" in a}
    assert signed == {KEY}

    target = tmp_path / "from-archive.duckdb"
    built = run_cli(["landing", "--from-archive", str(target)], archive_env)
    assert built.returncode == 0, built.stderr
    assert "landing.products: 2 rows" in built.stdout
    sql = run_cli(["landing", "--archive"], archive_env)
    assert sql.returncode == 0, sql.stderr
    assert f"read_parquet('s3://{BUCKET}/{tmp_path.name}/landing/products/*.parquet'" in sql.stdout

    for secret in (SECRET, quoted, KEY):
        for shown in (run, built, sql):
            assert secret not in shown.stdout and secret not in shown.stderr
        assert not [k for k, data in objects.items() if secret.encode() in data], "in the archive"
        assert not files_holding(Path(env["LANDING_DIR"]), secret), "in the landing directory"
