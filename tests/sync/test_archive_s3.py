"""The landing archive on s3:// (LANDING_ARCHIVE_URL) with the access key in the URL
(s3://KEY:SECRET@bucket/path): a sync archives through s3fs and dlt's filesystem destination to
moto's S3 server on loopback, the analysts' commands read it back, and the secret shows up nowhere.
moto checks every request's signature against an access key of its IAM: one signed with any other
key or secret is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import boto3
import botocore.exceptions
import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.helpers import run_cli, seed

BUCKET = "jssync-archive"
REGION = "us-east-1"
# Full access to S3, nothing else: what the archive's key is allowed.
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass(frozen=True)
class S3:
    url: str
    key: str
    secret: str

    def client(self, key: str | None = None, secret: str | None = None):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=key or self.key,
            aws_secret_access_key=secret or self.secret,
        )

    def objects(self) -> dict[str, bytes]:
        """The bucket's objects (key -> bytes), read with the archive's own key."""
        s3 = self.client()
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        names = [o["Key"] for page in pages for o in page.get("Contents", [])]
        return {name: s3.get_object(Bucket=BUCKET, Key=name)["Body"].read() for name in names}


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    """moto's server on a free loopback port with an IAM user allowed s3:*, its access key, the
    bucket; then request authentication on, so only that key and secret are taken."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        setup = {"endpoint_url": url, "region_name": REGION, "aws_access_key_id": "setup"}
        iam = boto3.client("iam", **setup, aws_secret_access_key="setup")
        iam.create_user(UserName="archive")
        iam.put_user_policy(UserName="archive", PolicyName="s3", PolicyDocument=json.dumps(POLICY))
        # moto draws the secret from letters, digits, '/' and '+': keep one with both, so the URL
        # needs percent-encoding (a user holds at most two keys: delete the others).
        for _ in range(500):
            created = iam.create_access_key(UserName="archive")["AccessKey"]
            key, secret = created["AccessKeyId"], created["SecretAccessKey"]
            if "/" in secret and "+" in secret:
                break
            iam.delete_access_key(UserName="archive", AccessKeyId=key)
        else:
            raise AssertionError("moto gave no secret holding both '/' and '+'")
        boto3.client("s3", **setup, aws_secret_access_key="setup").create_bucket(Bucket=BUCKET)
        # From now on every request is authenticated and authorized (moto's IAM-like access control).
        requests.post(f"{url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
        yield S3(url, key, secret)
    finally:
        requests.post(f"{url}/moto-api/reset-auth", data=b"inf", timeout=10)
        server.stop()


def files_holding(root: Path, text: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def archive_env(env: dict[str, str], s3: S3, folder: str, secret: str) -> dict[str, str]:
    return {
        **env,
        "LANDING_ARCHIVE_URL": f"s3://{s3.key}:{quote(secret, safe='')}@{BUCKET}/{folder}",
        "AWS_ENDPOINT_URL": s3.url,
        "AWS_DEFAULT_REGION": REGION,
    }


def test_moto_takes_only_the_archive_key(s3):
    """The emulator's side of the proof below: another key, or the key with another secret, is refused."""
    for key, secret, code in (
        ("AKIAJSSYNCOTHERKEY01", s3.secret, "InvalidAccessKeyId"),
        (s3.key, s3.secret[::-1], "SignatureDoesNotMatch"),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            s3.client(key, secret).list_objects_v2(Bucket=BUCKET)
        assert refused.value.response["Error"]["Code"] == code
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert s3.client().list_objects_v2(Bucket=BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_an_s3_archive_with_the_key_in_its_url_works_and_never_shows_it(env, staging, s3, tmp_path):
    quoted = quote(s3.secret, safe="")
    assert quoted != s3.secret  # '/' and '+' percent-encoded
    url_env = archive_env(env, s3, tmp_path.name, s3.secret)
    seed(staging, ["B0S3ARCH01", "B0S3ARCH02"])
    run = run_cli(["hourly", "--json"], url_env)
    assert run.returncode == 0, run.stderr
    status = json.loads(run.stdout)
    # moto authenticates every request (see the test above): the archive's uploads were all signed
    # with the URL's key and secret, given to s3fs and dlt as arguments, or this run would be behind.
    assert status["outcome"] == "success" and status["warnings"] == [], status
    assert status["archive"]["url"] == f"s3://{BUCKET}/{tmp_path.name}"
    assert status["archive"]["pending_loads"] == 0 and status["archive"]["files"] >= 4
    objects = {k: v for k, v in s3.objects().items() if k.startswith(f"{tmp_path.name}/")}
    parquet = [k for k in objects if k.endswith(".parquet")]
    assert {k.split("/")[2] for k in parquet} >= {"products", "sales_estimates", "asin_outcomes", "sync_batches"}

    target = tmp_path / "from-archive.duckdb"
    built = run_cli(["landing", "--from-archive", str(target)], url_env)
    assert built.returncode == 0, built.stderr
    assert "landing.products: 2 rows" in built.stdout
    sql = run_cli(["landing", "--archive"], url_env)
    assert sql.returncode == 0, sql.stderr
    assert f"read_parquet('s3://{BUCKET}/{tmp_path.name}/landing/products/*.parquet'" in sql.stdout

    for secret in (s3.secret, quoted, s3.key):
        for shown in (run, built, sql):
            assert secret not in shown.stdout and secret not in shown.stderr
        assert not [k for k, data in objects.items() if secret.encode() in data], "in the archive"
        assert not files_holding(Path(env["LANDING_DIR"]), secret), "in the landing directory"


def test_a_wrong_secret_in_the_url_leaves_the_archive_behind(env, staging, production, s3, tmp_path):
    """The right key with another secret: moto refuses every request; the sync's data goes on, its
    load waits in staging for the archive, and neither secret is shown."""
    wrong = s3.secret[::-1]
    seed(staging, ["B0S3WRONG1"])
    run = run_cli(["hourly", "--json"], archive_env(env, s3, tmp_path.name, wrong))
    assert run.returncode == 0, run.stderr
    status = json.loads(run.stdout)
    assert status["outcome"] == "success" and status["failed_asins"] == 0, status
    assert status["warnings"] == ["archive behind: 1 load"]
    assert status["archive"]["pending_loads"] >= 1 and status["archive"]["files"] == 0
    assert "did not take load" in status["archive"]["error"] and "(403)" in status["archive"]["error"]
    assert "the load stays pending in staging for the next run" in run.stderr
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 1  # data went on
    assert not [k for k in s3.objects() if k.startswith(f"{tmp_path.name}/")]
    for secret in (s3.secret, wrong, quote(wrong, safe="")):
        assert secret not in run.stdout and secret not in run.stderr
