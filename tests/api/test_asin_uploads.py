"""ASIN files on the manual endpoints (issue 19): a `text/csv` body or a multipart upload (field
`file`) read by the same parser as `jssync sync --asins`; a file with bad lines (or none valid) a
400 listing them, nothing synced; over 5 MiB a 413. The real app over the real databases and the
sandbox."""

from __future__ import annotations

import codecs
import io

import pytest

from sync.asin_file import MAX_FILE_BYTES
from tests.api.support import admin
from tests.helpers import seed

CSV = codecs.BOM_UTF8 + b"asin,title\r\nb0upload01,one\r\n\r\nB0UPLOAD02,two\r\n B0UPLOAD01 ,again\r\n"
PATHS = ["/admin/sync-product-database", "/admin/sync-jungle-scout"]


def tracked(db) -> list[str]:
    return [r[0] for r in db.rows('SELECT asin FROM "{p}jungle_scout_sync_status" ORDER BY asin')]


def test_a_csv_body_syncs_product_data(client, staging, production, sandbox):
    seed(staging, ["B0UPLOAD01"])  # the other one is not in the catalogue
    response = client.post(
        "/admin/sync-product-database?marketplace=us", data=CSV, content_type="text/csv", headers=admin()
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["message"] == "Product database sync completed"
    assert body["status"]["kind"] == "product" and body["status"]["successful_product_sync"] == 2
    assert body["asin_file"] == {"asins": 2, "duplicates": 1, "invalid_lines": 0, "errors": []}
    assert tracked(staging) == ["B0UPLOAD01", "B0UPLOAD02"]
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 2
    assert sandbox.stats()["by_endpoint"].get("sales", 0) == 0


def test_a_multipart_upload_syncs_sales(client, staging, production, sandbox):
    data = {"file": (io.BytesIO(CSV), "export.csv", "text/csv")}
    response = client.post("/admin/sync-jungle-scout", data=data, content_type="multipart/form-data", headers=admin())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"]["kind"] == "sales" and body["status"]["successful_sales_sync"] == 2
    assert body["asin_file"]["asins"] == 2 and body["asin_file"]["duplicates"] == 1
    calls = sandbox.stats()["by_endpoint"]
    assert calls.get("products", 0) == 0 and calls["sales"] == 2
    assert staging.scalar('SELECT count(DISTINCT asin) FROM "{p}jungle_scout_sales_estimate_data"') == 2


def multipart(payload: bytes, field: str = "file") -> tuple[bytes, str]:
    """A multipart/form-data body holding `payload` as a file upload, and its content type (built
    here: the test client spools a large upload to a temporary file it never closes)."""
    boundary = "jssync-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="list.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def post_file(client, path: str, how: str, payload: bytes):
    if how == "csv":
        return client.post(path, data=payload, content_type="text/csv", headers=admin())
    body, content_type = multipart(payload)
    return client.post(path, data=body, content_type=content_type, headers=admin())


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("how", "payload", "said", "lines"),
    [
        ("csv", b"", "the ASIN file is empty", []),
        ("csv", codecs.BOM_UTF8 + b"asin\r\n", "the ASIN file is empty", []),
        ("multipart", b"asin\nhello\n", "the ASIN file has no valid ASIN (1 invalid lines)", [(2, "hello")]),
        ("multipart", b"", "the ASIN file is empty", []),
        (
            "csv",
            b"asin,title\nB0UPLOAD01,ok\nnope,bad\nB0UPLOAD01\n",
            "the ASIN file has 2 invalid lines, so nothing was synced: line 3: 'nope' is not an ASIN",
            [(3, "nope"), (4, "B0UPLOAD01")],
        ),
    ],
)
def test_bad_lines_are_a_400_listing_them_and_nothing_is_synced(
    client, staging, sandbox, path, how, payload, said, lines
):
    response = post_file(client, path, how, payload)
    assert response.status_code == 400
    body = response.get_json()
    assert said in body["error"]
    assert [(e["line"], e["value"]) for e in body["invalid_lines"]] == lines
    assert sandbox.stats()["requests"] == 0 and tracked(staging) == []
    assert staging.scalar('SELECT count(*) FROM "{p}jssync_runs"') == 0


def test_a_multipart_upload_without_the_file_field_is_a_400(client, sandbox):
    data = {"upload": (io.BytesIO(b"B0UPLOAD01\n"), "list.csv")}
    response = client.post(PATHS[0], data=data, content_type="multipart/form-data", headers=admin())
    assert response.status_code == 400
    assert response.get_json()["error"] == (
        "the multipart upload has no field `file` (got 'upload'): send the ASIN file as field file"
    )
    assert sandbox.stats()["requests"] == 0


@pytest.mark.parametrize("how", ["csv", "multipart"])
def test_a_file_over_5_mib_is_a_413(client, staging, sandbox, how):
    big = b"B0UPLOAD01\n" * (MAX_FILE_BYTES // 11 + 1)
    assert len(big) > MAX_FILE_BYTES
    response = post_file(client, PATHS[1], how, big)
    assert response.status_code == 413
    assert response.get_json()["error"] == "the ASIN file is larger than 5 MiB: split it into smaller files"
    assert sandbox.stats()["requests"] == 0 and tracked(staging) == []
    # A file of exactly 5 MiB is read (and here refused only for holding no valid ASIN).
    exact = b"x" * MAX_FILE_BYTES
    assert client.post(PATHS[1], data=exact, content_type="text/csv", headers=admin()).status_code == 400


def test_a_json_body_over_1_mib_is_still_a_413(client):
    response = client.post(
        PATHS[0], data=b"[" + b" " * (1 << 20) + b"]", content_type="application/json", headers=admin()
    )
    assert response.status_code == 413
