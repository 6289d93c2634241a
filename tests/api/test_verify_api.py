"""POST /admin/verify and GET /admin/verify/status over the real databases."""

from __future__ import annotations

from sync.guard import SyncLock
from tests.api.support import admin


def test_verify_endpoint_finds_repairs_and_reports(client, migrated, staging, production):
    assert client.get("/admin/verify/status", headers=admin()).get_json() == {"status": None}
    staging.execute(
        'INSERT INTO "{p}jungle_scout_product_data" (asin, report_date, title) '
        "VALUES ('B0APIVERIF', '2026-01-02', 'a title')"
    )

    found = client.post("/admin/verify", headers=admin())
    assert found.status_code == 200
    body = found.get_json()
    assert body["in_sync"] is False and body["repaired"] == 0
    assert [(d["asin"], d["kind"]) for d in body["drift"]] == [("B0APIVERIF", "missing")]

    fixed = client.post("/admin/verify?repair=true", headers=admin()).get_json()
    assert fixed["in_sync"] is True and fixed["repaired"] == 1
    assert production.scalar('SELECT title FROM "{p}jungle_scout_product_data"') == "a title"

    last = client.get("/admin/verify/status", headers=admin()).get_json()["status"]
    assert last["kind"] == "verify" and last["repaired"] == 1 and last["in_sync"] is True

    assert client.post("/admin/verify?repair=yes", headers=admin()).status_code == 400
    assert client.post("/admin/verify").status_code == 401


def test_verify_endpoint_is_refused_while_a_sync_runs(client, migrated):
    with SyncLock(migrated.staging):
        answer = client.post("/admin/verify", headers=admin())
    assert answer.status_code == 409 and "another sync is running" in answer.get_json()["error"]
