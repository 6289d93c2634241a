"""The Jungle Scout sandbox, exercised over real HTTP."""

import datetime
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from sandbox.jungle_scout import Sandbox, _RateLimiter, is_known, product_attributes, sales_points
from tests.helpers import wait_for

HEADERS = {"Authorization": "KEY:secret", "Accept": "application/vnd.junglescout.v1+json", "X-API-Type": "junglescout"}
KNOWN = ["B0AAAAAAA1", "B0AAAAAAA2", "B0NR000001", "B0AAAAAAA3", "B0NS000001"]
SALES = {"marketplace": "us", "asin": "B0AAAAAAA1", "start_date": "2025-11-28", "end_date": "2026-11-28"}
ROOT = Path(__file__).resolve().parents[2]


def query_body(asins: list[str]) -> dict:
    return {
        "data": {
            "type": "product_database_query",
            "attributes": {
                "include_keywords": asins,
                "exclude_keywords": [],
                "product_tiers": ["oversize", "standard"],
                "seller_types": ["amz", "fba", "fbm"],
            },
        }
    }


@pytest.fixture
def sb():
    # Rate limits off: these tests are about behaviour, the limiter has its own sandboxes below.
    with Sandbox(rate_per_minute=0, burst_per_second=0) as sandbox:
        yield sandbox


@pytest.fixture
def http():
    with requests.Session() as session:
        session.headers.update(HEADERS)
        yield session


def products(
    http: requests.Session, sb: Sandbox, asins: list[str], query: str = "marketplace=us", **kw
) -> requests.Response:
    return http.post(f"{sb.base_url}/product_database_query?{query}", json=query_body(asins), timeout=5, **kw)


def sales(http: requests.Session, sb: Sandbox, **params) -> requests.Response:
    return http.get(f"{sb.base_url}/sales_estimates_query", params={**SALES, **params}, timeout=5)


def error_of(resp: requests.Response) -> dict:
    body = resp.json()
    assert resp.headers["Content-Type"] == "application/vnd.api+json"
    assert body["errors"][0]["status"] == str(resp.status_code)
    return body["errors"][0]


# ---------------------------------------------------------------- products


def test_products_paging_follows_next_and_drops_unknown(sb, http):
    sb.unknown_asins = {"B0GONE0001"}
    asked = [
        "B0AAAAAAA1",
        "B0ZZ000001",
        "B0AAAAAAA2",
        "B0GONE0001",
        "B0NR000001",
        "B0AAAAAAA3",
        "not-an-asin",
        "B0NS000001",
    ]
    ids, urls = [], []
    resp = products(http, sb, asked, "marketplace=us&page[size]=2")
    while True:
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert page["meta"]["total_items"] == 5
        assert len(page["data"]) <= 2
        ids += [item["id"] for item in page["data"]]
        for item in page["data"]:
            assert item["type"] == "product_database_result"
            assert item["attributes"] == product_attributes(item["id"].split("/")[1], "us")
        if "next" not in page["links"]:
            break
        urls.append(page["links"]["next"])
        assert page["links"]["next"].startswith(sb.base_url + "/product_database_query?")
        assert "page[cursor]=" in page["links"]["next"]
        resp = http.post(page["links"]["next"], json=query_body(asked), timeout=5)
    assert ids == [f"us/{a}" for a in KNOWN]
    assert len(urls) == 2
    assert sb.stats()["by_endpoint"] == {"products": 3, "sales": 0}


def test_products_cursor_must_match_query(sb, http):
    first = products(http, sb, KNOWN, "marketplace=us&page[size]=2").json()
    resp = http.post(first["links"]["next"], json=query_body(KNOWN[:4]), timeout=5)
    assert resp.status_code == 400
    assert error_of(resp)["code"] == "INVALID_CURSOR"


def test_product_attributes_are_realistic_and_sometimes_null():
    asins = [f"B0TEST{n:04d}" for n in range(300)]
    rows = [product_attributes(a, "us") for a in asins]
    assert set(rows[0]) >= {
        "title",
        "price",
        "rating",
        "parent_asin",
        "variants",
        "fee_breakdown",
        "ean_list",
        "isbn_list",
        "upc_list",
        "gtin_list",
        "updated_at",
        "approximate_30_day_revenue",
        "buy_box_owner_seller_id",
    }
    for row in rows:
        if row["price"] is not None:
            assert 0 < row["price"] <= 9999.99 and round(row["price"], 2) == row["price"]
        if row["rating"] is not None:
            assert 1.0 <= row["rating"] <= 5.0 and round(row["rating"], 2) == row["rating"]
        assert 0 < row["product_rank"] < 2**31 and 0 <= row["reviews"] < 2**31
        assert len(row["title"]) <= 200 and len(row["brand"]) <= 255
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z", row["updated_at"])
        assert row["date_first_available"] is None or datetime.date.fromisoformat(row["date_first_available"])
        assert row["is_standalone"] + row["is_variant"] + row["is_parent"] == 1
        assert (row["parent_asin"] is not None) == row["is_variant"]
        assert all(isinstance(v, list) for k, v in row.items() if k.endswith("_list"))
    assert any(r["buy_box_owner"] is None for r in rows) and any(r["buy_box_owner"] for r in rows)
    assert product_attributes("B0TEST0001", "us") == product_attributes("B0TEST0001", "us")
    assert product_attributes("B0TEST0001", "us", 1) != product_attributes("B0TEST0001", "us")
    assert not is_known("B0ZZ000001") and not is_known("B0AAAAAAA1", {"B0AAAAAAA1"})
    assert is_known("B0AAAAAAA1") and is_known("123456789X") and not is_known("b0aaaaaaa1")


# ---------------------------------------------------------------- sales


def test_sales_one_point_per_day_inclusive_and_deterministic(sb, http):
    resp = sales(http, sb)
    assert resp.status_code == 200, resp.text
    item = resp.json()["data"][0]
    assert item["id"] == "us/B0AAAAAAA1" and item["type"] == "sales_estimate_result"
    attrs = item["attributes"]
    assert attrs["asin"] == "B0AAAAAAA1"
    assert {"is_parent", "is_variant", "is_standalone", "parent_asin", "variants"} <= set(attrs)
    points = attrs["data"]
    assert len(points) == 366
    start = datetime.date(2025, 11, 28)
    assert [p["date"] for p in points] == [str(start + datetime.timedelta(days=n)) for n in range(366)]
    assert all(isinstance(p["estimated_units_sold"], int) and p["estimated_units_sold"] >= 0 for p in points)
    prices = [p["last_known_price"] for p in points]
    assert None in prices or product_attributes("B0AAAAAAA1", "us")["price"] is None
    assert all(p is None or round(p, 2) == p for p in prices)
    assert sales(http, sb).json() == resp.json()
    # A narrower window agrees with the wide one on every shared day.
    narrow = sales(http, sb, start_date="2026-01-01", end_date="2026-01-01").json()["data"][0]["attributes"]
    assert narrow["data"] == [p for p in points if p["date"] == "2026-01-01"]
    assert points == sales_points("B0AAAAAAA1", "us", start, datetime.date(2026, 11, 28))


def test_sales_special_asins(sb, http):
    resp = sales(http, sb, asin="B0NR000001")
    assert resp.status_code == 422 and error_of(resp)["code"] == "MISSING_RANK_DATA"
    resp = sales(http, sb, asin="B0NS000001")
    assert resp.status_code == 200 and resp.json()["data"][0]["attributes"]["data"] == []
    resp = sales(http, sb, asin="B0ZZ000001")
    assert resp.status_code == 404 and error_of(resp)["detail"]
    sb.unknown_asins.add("B0AAAAAAA2")
    assert sales(http, sb, asin="B0AAAAAAA2").status_code == 404


def test_variation_families_share_rank_and_units_as_documented(sb, http):
    shared, own, lying = ["B0FSTOY101", "B0FSTOY102"], ["B0FOOWN101", "B0FOOWN102"], ["B0FLLIE101", "B0FLLIE102"]
    found = {
        item["id"].split("/")[1]: item["attributes"]
        for item in products(http, sb, [*shared, *own, *lying, "B0FSTOY100"]).json()["data"]
    }
    assert found["B0FSTOY100"]["is_parent"] and found["B0FSTOY100"]["parent_asin"] is None
    assert found["B0FSTOY100"]["variants"] == ["B0FSTOY101", "B0FSTOY102", "B0FSTOY103"]

    def series(asin: str) -> list[dict]:
        answer = sales(http, sb, asin=asin, start_date="2026-01-01", end_date="2026-03-31").json()
        return answer["data"][0]["attributes"]["data"]

    for family in (shared, own, lying):
        attrs = [found[a] for a in family]
        assert {a["parent_asin"] for a in attrs} == {family[0][:-2] + "00"}
        assert all(a["is_variant"] and not a["is_parent"] and not a["is_standalone"] for a in attrs)
        assert attrs[0]["price"] != attrs[1]["price"]  # every variation has its own price
    # Shared and lying families claim one rank; the own-rank family's variations have their own.
    assert found[shared[0]]["product_rank"] == found[shared[1]]["product_rank"] == found["B0FSTOY100"]["product_rank"]
    assert found[lying[0]]["product_rank"] == found[lying[1]]["product_rank"]
    assert found[own[0]]["product_rank"] != found[own[1]]["product_rank"]
    # Units: the listing's on every shared member (and the parent), each with its own price.
    units = {a: [p["estimated_units_sold"] for p in series(a)] for a in [*shared, *own, *lying, "B0FSTOY100"]}
    assert units[shared[0]] == units[shared[1]] == units["B0FSTOY100"] and sum(units[shared[0]]) > 0
    assert {p["last_known_price"] for p in series(shared[1])} == {found[shared[1]]["price"]}
    assert units[own[0]] != units[own[1]] and units[lying[0]] != units[lying[1]]
    assert series(lying[0]) == sales_points(lying[0], "us", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


def test_auth_is_required(sb, http):
    resp = http.get(f"{sb.base_url}/sales_estimates_query", params=SALES, timeout=5, headers={"Authorization": None})
    assert resp.status_code == 401 and error_of(resp)["code"] == "UNAUTHORIZED"
    with Sandbox(api_key="KEY:right") as keyed:
        assert sales(http, keyed).status_code == 401
        assert (
            http.get(
                f"{keyed.base_url}/sales_estimates_query",
                params=SALES,
                timeout=5,
                headers={"Authorization": "KEY:right"},
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"marketplace": "xx"}, "marketplace"),
        ({"marketplace": None}, "marketplace"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"end_date": "yesterday"}, "end_date"),
        ({"start_date": "2026-01-02", "end_date": "2026-01-01"}, "after"),
        ({"asin": "B0SHORT"}, "asin"),
    ],
)
def test_sales_bad_parameters_answer_400(sb, http, params, words):
    resp = sales(http, sb, **params)
    assert resp.status_code == 400
    assert words in error_of(resp)["detail"]


def test_bad_requests(sb, http):
    for header in ("Accept", "X-API-Type"):
        resp = http.get(f"{sb.base_url}/sales_estimates_query", params=SALES, headers={header: None}, timeout=5)
        assert resp.status_code == 400 and header in error_of(resp)["detail"]
    url = f"{sb.base_url}/product_database_query?marketplace=us"
    assert http.post(url, data="{}", headers={"Content-Type": "text/plain"}, timeout=5).status_code == 415
    assert (
        http.post(url, data="{nope", headers={"Content-Type": "application/vnd.api+json"}, timeout=5).status_code == 400
    )
    assert (
        http.post(
            url, json={"data": {"type": "product_database_query", "attributes": {"include_keywords": []}}}, timeout=5
        ).status_code
        == 400
    )
    assert products(http, sb, KNOWN, "marketplace=us&page[size]=0").status_code == 400
    assert products(http, sb, KNOWN, "marketplace=us&page[size]=101").status_code == 400
    assert http.get(url, timeout=5).status_code == 405
    assert http.get(f"{sb.base_url}/nowhere", timeout=5).status_code == 404
    # The server survives all of it.
    assert products(http, sb, KNOWN).status_code == 200


# ---------------------------------------------------------------- rate limits


def test_burst_limit_answers_429_with_retry_after(http):
    with Sandbox(rate_per_minute=60, burst_per_second=3) as sb:
        assert [sales(http, sb).status_code for _ in range(3)] == [200, 200, 200]
        resp = sales(http, sb)
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] == "1"
        err = error_of(resp)
        assert err["code"] == "RATE_LIMIT_EXCEEDED"
        match = re.fullmatch(r"Rate limit exceeded, retry again at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)", err["detail"])
        assert match
        at = datetime.datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
        now = datetime.datetime.now(datetime.UTC)
        assert now - datetime.timedelta(seconds=1) <= at <= now + datetime.timedelta(seconds=2)
        # Limits are per key.
        other = http.get(
            f"{sb.base_url}/sales_estimates_query", params=SALES, timeout=5, headers={"Authorization": "OTHER:key"}
        )
        assert other.status_code == 200
        stats = sb.stats()
        assert stats["rate_limited"] == 1 and stats["by_status"] == {"200": 4, "429": 1}


def test_the_burst_bucket_refills_one_token_a_second_at_60_a_minute():
    # The sandbox's limiter on its own clock: what the 429 above asks the client to wait for.
    limiter = _RateLimiter(60, 3)
    assert [limiter.check("KEY", 100.0) for _ in range(3)] == [None, None, None]
    assert limiter.check("KEY", 100.0) == pytest.approx(1.0)
    assert limiter.check("KEY", 100.5) == pytest.approx(0.5)  # a refused request takes no token
    assert limiter.check("KEY", 101.05) is None  # one token refilled
    assert limiter.check("KEY", 101.05) is not None  # and only one
    assert limiter.check("OTHER", 101.05) is None  # per key


def test_minute_limit_alone_when_burst_disabled(http):
    with Sandbox(rate_per_minute=5, burst_per_second=0) as sb:
        assert [sales(http, sb).status_code for _ in range(6)] == [200] * 5 + [429]
        assert 58 <= int(sales(http, sb).headers["Retry-After"]) <= 60


# ---------------------------------------------------------------- faults


def test_latency_fault_and_concurrency(sb):
    sb.set_faults(latency=0.3)
    statuses = []

    def call() -> None:
        with requests.Session() as session:
            session.headers.update(HEADERS)
            statuses.append(sales(session, sb).status_code)

    started = time.monotonic()
    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 4
    assert time.monotonic() - started >= 0.3  # the latency was applied
    assert sb.stats()["max_in_flight"] >= 2  # and the sleeps overlapped


def test_fail_next_targets_an_endpoint(sb, http):
    sb.set_faults(fail_next={"count": 2, "status": 503, "endpoint": "sales"})
    assert products(http, sb, KNOWN).status_code == 200
    first = sales(http, sb)
    assert first.status_code == 503 and error_of(first)["code"] == "SERVICE_UNAVAILABLE"
    assert [sales(http, sb).status_code for _ in range(2)] == [503, 200]


def test_slow_next_trips_client_timeouts(sb, http):
    sb.set_faults(slow_next={"count": 1, "seconds": 2})
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{sb.base_url}/sales_estimates_query", params=SALES, timeout=0.3)
    assert sales(http, sb).status_code == 200


def test_hold_keeps_answers_waiting_until_released(sb, http):
    sb.set_faults(hold=True)
    answers: list[int] = []
    asking = threading.Thread(target=lambda: answers.append(sales(http, sb).status_code))
    asking.start()
    wait_for(lambda: sb.stats()["in_flight"] == 1, what="the request to arrive")
    assert answers == [] and sb.stats()["requests"] == 0  # arrived, held, not answered
    sb.set_faults(hold=False)
    asking.join(timeout=30)
    assert answers == [200] and sb.stats()["requests"] == 1
    with pytest.raises(ValueError, match="hold must be true or false"):
        sb.set_faults(hold="yes")


def test_hold_after_answers_that_many_then_holds(sb, http):
    sb.set_faults(hold_after=2)
    assert [sales(http, sb).status_code for _ in range(2)] == [200, 200]
    answers: list[int] = []
    asking = threading.Thread(target=lambda: answers.append(sales(http, sb).status_code))
    asking.start()
    wait_for(lambda: sb.stats()["held"] == 1, what="the third request to be held")
    assert answers == [] and sb.stats()["requests"] == 2  # the third is held
    sb.set_faults(hold=False)
    asking.join(timeout=30)
    assert answers == [200] and sb.stats()["requests"] == 3 and sb.stats()["held"] == 0
    assert sales(http, sb).status_code == 200  # released for good
    with pytest.raises(ValueError, match="hold_after must be an int >= 0"):
        sb.set_faults(hold_after=-1)


def test_a_request_still_in_flight_at_reset_is_not_counted_after_it(sb, http):
    # A slow answer whose client gave up belongs to the test that sent it, not to the next one
    # (which finds the sandbox reset and counts its own requests).
    sb.set_faults(slow_next={"count": 1, "seconds": 0.5})
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{sb.base_url}/sales_estimates_query", params=SALES, timeout=0.1)
    sb.reset()
    wait_for(lambda: sb.stats()["in_flight"] == 0, what="the slow answer to finish")
    stats = sb.stats()
    assert stats["requests"] == 0 and stats["log"] == [] and stats["by_status"] == {}
    assert sales(http, sb).status_code == 200 and sb.stats()["requests"] == 1


def test_malformed_next(sb, http):
    sb.set_faults(malformed_next={"count": 1, "endpoint": "products"})
    resp = products(http, sb, KNOWN)
    assert resp.status_code == 200
    with pytest.raises(requests.exceptions.JSONDecodeError):
        resp.json()
    assert products(http, sb, KNOWN).json()["meta"]["total_items"] == 5


def test_forced_rate_limit_and_fail_asins(sb, http):
    sb.set_faults(rate_limit_next={"count": 1, "retry_after": 7}, fail_asins={"B0AAAAAAA2": 500})
    resp = sales(http, sb)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert error_of(resp)["code"] == "RATE_LIMIT_EXCEEDED"
    assert sales(http, sb).status_code == 200
    assert [sales(http, sb, asin="B0AAAAAAA2").status_code for _ in range(2)] == [500, 500]


def test_faults_over_http_and_reset(sb, http):
    control = f"{sb.base_url}/_sandbox"
    before = products(http, sb, ["B0AAAAAAA1"]).json()["data"][0]["attributes"]
    resp = http.post(f"{control}/faults", json={"revision": 3, "unknown_asins": ["B0AAAAAAA2"]}, timeout=5)
    assert resp.status_code == 200 and resp.json()["faults"]["revision"] == 3
    assert sb.revision == 3 and sb.unknown_asins == {"B0AAAAAAA2"}
    page = products(http, sb, ["B0AAAAAAA1", "B0AAAAAAA2"]).json()
    assert [d["id"] for d in page["data"]] == ["us/B0AAAAAAA1"]
    assert page["data"][0]["attributes"] == product_attributes("B0AAAAAAA1", "us", 3) != before
    assert http.post(f"{control}/faults", json={"explode": 1}, timeout=5).status_code == 400
    assert http.post(f"{control}/faults", json={"fail_next": {"count": "x"}}, timeout=5).status_code == 400
    with pytest.raises(ValueError, match="unknown fault"):
        sb.set_faults(explode=True)
    assert http.post(f"{control}/reset", timeout=5).status_code == 200
    assert sb.revision == 0 and sb.unknown_asins == set() and sb.stats()["requests"] == 0


# ---------------------------------------------------------------- stats and serve()


def test_stats_count_api_requests_only(sb, http):
    products(http, sb, KNOWN)
    sales(http, sb)
    sales(http, sb, asin="B0NR000001")
    http.get(f"{sb.base_url}/sales_estimates_query", params=SALES, headers={"Authorization": None}, timeout=5)
    http.get(f"{sb.base_url}/_sandbox/stats", timeout=5)
    stats = http.get(f"{sb.base_url}/_sandbox/stats", timeout=5).json()
    assert stats == {**sb.stats(), "in_flight": stats["in_flight"]}
    assert stats["requests"] == 4
    assert stats["by_endpoint"] == {"products": 1, "sales": 3}
    assert stats["by_status"] == {"200": 2, "422": 1, "401": 1}
    assert stats["rate_limited"] == 0 and stats["max_in_flight"] >= 1
    log = stats["log"]
    assert [e["status"] for e in log] == [200, 200, 422, 401]
    assert log[0]["asins"] == KNOWN and log[0]["method"] == "POST" and log[0]["endpoint"] == "products"
    assert log[2] | {"t": 0} == {
        "t": 0,
        "method": "GET",
        "endpoint": "sales",
        "marketplace": "us",
        "asins": ["B0NR000001"],
        "status": 422,
    }
    assert all(a["t"] <= b["t"] for a, b in zip(log, log[1:], strict=False))


def test_serve_prints_base_url_first():
    code = "from sandbox.jungle_scout import serve; serve()"
    with subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            line = proc.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", line)
            with requests.Session() as session:
                session.headers.update(HEADERS)
                resp = session.get(f"{line}/sales_estimates_query", params=SALES, timeout=5)
                assert resp.status_code == 200
        finally:
            proc.terminate()
            assert proc.wait(timeout=5) == 0
