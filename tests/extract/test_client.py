"""The API client against the sandbox over HTTP: paging, retries, limits, bad answers."""

from __future__ import annotations

import datetime as dt
import math

import pytest
import requests

from extract.client import (
    MAX_PRODUCT_PAGES,
    ApiError,
    ApiUsage,
    JungleScoutClient,
    _error_code,
    auth_secrets,
    redact,
    retry_delay,
)
from extract.ratelimit import RateLimiter
from sandbox.jungle_scout import Sandbox
from tests.helpers import FakeClock

ASINS = [f"B0CL{i:06d}" for i in range(7)]


def client_for(sandbox: Sandbox, **kw) -> JungleScoutClient:
    limiter = RateLimiter(100_000, 10_000)
    return JungleScoutClient(sandbox.base_url, "name:key-abc", limiter, usage=ApiUsage(), **{"backoff": 0.05, **kw})


def test_products_follow_links_next_and_drop_unasked(sandbox):
    sandbox.set_faults(page_size=3, extra_results=["B0EXTRA001"])
    with client_for(sandbox) as client:
        pages = list(client.product_pages(ASINS, "us"))
    ids = [item["id"] for page in pages for item in page]
    assert len(pages) == 3  # 8 results (7 asked + 1 extra) at 3 a page
    assert "us/B0EXTRA001" in ids  # the client returns what the API said; the fetcher drops it
    requests_made = [e for e in sandbox.stats()["log"] if e["endpoint"] == "products"]
    assert len(requests_made) == 3 and all(e["method"] == "POST" for e in requests_made)


def test_at_most_100_asins_per_call(sandbox):
    with client_for(sandbox) as client, pytest.raises(ValueError, match="1 to 100"):
        list(client.product_pages([f"B0X{i:07d}" for i in range(101)], "us"))


def test_sales_one_get_per_asin(sandbox):
    with client_for(sandbox) as client:
        answer = client.sales_estimates("B0CL000001", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    points = answer.items[0]["attributes"]["data"]
    assert len(points) == 31 and answer.no_data is False
    entry = sandbox.stats()["log"][-1]
    assert entry["method"] == "GET" and entry["asins"] == ["B0CL000001"]


def test_missing_rank_data_means_no_sales(sandbox):
    with client_for(sandbox) as client:
        answer = client.sales_estimates("B0NR000001", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    assert answer.no_data is True and answer.items == []
    assert sandbox.stats()["requests"] == 1
    # A normal answer for such an ASIN: billed as a request, not counted as an error.
    assert client.usage.as_dict()["requests"] == 1 and client.usage.as_dict()["errors"] == 0
    assert [(r["requests"], r["errors"]) for r in client.usage.ledger_rows()] == [(1, 0)]


def test_other_422_is_still_an_error(sandbox):
    sandbox.set_faults(fail_next={"count": 1, "status": 422})
    with client_for(sandbox) as client, pytest.raises(ApiError) as err:
        client.sales_estimates("B0CL000001", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    assert err.value.status == 422
    assert client.usage.as_dict()["requests"] == 1 and client.usage.as_dict()["errors"] == 1


def test_5xx_is_retried_then_succeeds(sandbox):
    sandbox.set_faults(fail_next={"count": 2, "status": 503})
    with client_for(sandbox) as client:
        pages = list(client.product_pages(ASINS[:2], "us"))
        assert len(pages[0]) == 2
        assert client.usage.as_dict()["requests"] == 3 and client.usage.as_dict()["retries"] == 2


def test_5xx_gives_up_after_three_attempts(sandbox):
    sandbox.set_faults(fail_next={"count": 5, "status": 500})
    with client_for(sandbox) as client, pytest.raises(ApiError, match="after 3 attempts: HTTP 500"):
        list(client.product_pages(ASINS[:2], "us"))
    assert sandbox.stats()["requests"] == 3


def test_429_honours_retry_after(sandbox):
    # The limiter runs on a clock that moves only when it sleeps: the wait it chose, not a timing.
    sandbox.set_faults(rate_limit_next={"count": 1, "retry_after": 1})
    clock = FakeClock()
    limiter = RateLimiter(100_000, 10_000, clock=clock, sleep=clock.sleep)
    with JungleScoutClient(sandbox.base_url, "name:key-abc", limiter, usage=ApiUsage(), backoff=0.05) as client:
        client.sales_estimates("B0CL000002", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 2))
        assert client.usage.as_dict()["rate_limited"] == 1
    assert sandbox.stats()["requests"] == 2
    # Told to wait a second (the backoff alone would be 0.05 s): every caller was held that long.
    assert limiter.waited >= 1.0 and clock.now >= 1.0


def test_other_4xx_is_not_retried(sandbox):
    with client_for(sandbox) as client, pytest.raises(ApiError) as err:
        client.sales_estimates("B0ZZ000001", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    assert err.value.status == 404
    assert sandbox.stats()["requests"] == 1


def test_timeouts_are_retried(sandbox):
    sandbox.set_faults(slow_next={"count": 1, "seconds": 1.0})
    with client_for(sandbox, timeout=(1.0, 0.3)) as client:
        answer = client.sales_estimates("B0CL000003", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 1))
        assert len(answer.items[0]["attributes"]["data"]) == 1
        assert client.usage.as_dict()["retries"] == 1


def test_malformed_body_is_a_parse_error(sandbox):
    sandbox.set_faults(malformed_next={"count": 1})
    with client_for(sandbox) as client, pytest.raises(ApiError) as err:
        client.sales_estimates("B0CL000004", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    assert err.value.category == "parse"


def test_headers_sent(sandbox):
    with client_for(sandbox) as client:
        client.sales_estimates("B0CL000005", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    # the sandbox refuses requests without Authorization, Accept and X-API-Type
    assert sandbox.stats()["by_status"] == {"200": 1}


def test_connection_refused_is_an_api_error():
    limiter = RateLimiter(100_000, 10_000)
    with JungleScoutClient("http://127.0.0.1:9/api", "k", limiter, backoff=0.01) as client:
        with pytest.raises(ApiError, match="after 3 attempts: connection error"):
            client.sales_estimates("B0CL000006", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 1))


def _response(status: int, headers: dict, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code, response.headers, response._content = status, headers, body  # noqa: SLF001
    return response


def test_retry_delay_reads_header_and_detail():
    assert retry_delay(_response(429, {"Retry-After": "7"}, b"{}")) == 7.0
    body = b'{"errors": [{"detail": "Rate limit exceeded, retry again at 2026-11-29T10:00:05Z"}]}'
    now = dt.datetime(2026, 11, 29, 10, 0, 0, tzinfo=dt.UTC).timestamp()
    assert retry_delay(_response(429, {}, body), now=lambda: now) == 5.0
    assert retry_delay(_response(429, {}, b"not json")) is None


# -- paging that never ends


def test_empty_page_with_links_next_is_refused(sandbox):
    sandbox.set_faults(page_size=2, endless_pages=True)  # empty pages with fresh cursors forever
    with client_for(sandbox) as client, pytest.raises(ApiError, match="page 3 is empty but links.next") as err:
        list(client.product_pages(ASINS[:4], "us"))
    assert err.value.category == "parse"
    assert sandbox.stats()["by_endpoint"]["products"] == 3


def test_pages_are_capped_per_query(sandbox):
    asked = [f"B0PG{i:06d}" for i in range(100)]
    sandbox.set_faults(page_size=1, extra_results=["B0PGEXTRA1"])  # 101 results: 101 pages, still fine
    with client_for(sandbox) as client:
        assert sum(len(page) for page in client.product_pages(asked, "us")) == 101
    sandbox.reset()
    sandbox.set_faults(page_size=1, extra_results=["B0PGEXTRA1", "B0PGEXTRA2"])  # 102 pages: too many
    with client_for(sandbox) as client, pytest.raises(ApiError, match="after 101 pages") as err:
        list(client.product_pages(asked, "us"))
    assert err.value.category == "parse"
    assert sandbox.stats()["by_endpoint"]["products"] == MAX_PRODUCT_PAGES == 101


# -- credentials never travel in messages


def test_authorization_echoed_by_the_server_is_redacted(sandbox):
    sandbox.set_faults(echo_auth_next={"count": 1, "status": 401})
    with client_for(sandbox) as client, pytest.raises(ApiError) as err:
        client.sales_estimates("B0CL000001", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    message = str(err.value)
    assert err.value.status == 401 and "***" in message
    assert "name:key-abc" not in message and "key-abc" not in message
    assert sandbox.stats()["log"][-1]["status"] == 401  # the sandbox did echo it


def test_error_code_and_detail_are_redacted():
    body = b'{"errors": [{"code": "BAD name:key-abc", "detail": "got name:key-abc, i.e. key key-abc"}]}'
    code, detail = _error_code(_response(401, {}, body), auth_secrets("name:key-abc"))
    assert code == "BAD ***" and detail == "got ***, i.e. key ***"
    assert redact("no secrets here", auth_secrets("name:key-abc")) == "no secrets here"


def test_non_finite_numbers_reach_the_caller(sandbox):
    """1e400 and NaN parse (as inf and nan) whatever JSON library requests would use, so the
    per-ASIN checks see them instead of one bad number failing a whole page."""
    sandbox.set_faults(
        bad_values={ASINS[0]: {"reviews": float("inf"), "rating": float("nan")}},
        bad_sales_values={ASINS[1]: {"estimated_units_sold": float("-inf")}},
    )
    with client_for(sandbox) as client:
        items = {item["id"]: item["attributes"] for page in client.product_pages(ASINS[:2], "us") for item in page}
        answer = client.sales_estimates(ASINS[1], "us", dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    assert items[f"us/{ASINS[0]}"]["reviews"] == float("inf")
    assert math.isnan(items[f"us/{ASINS[0]}"]["rating"])
    assert isinstance(items[f"us/{ASINS[1]}"]["reviews"], int)
    assert [p["estimated_units_sold"] for p in answer.items[0]["attributes"]["data"]] == [float("-inf")] * 2


def test_429s_never_use_up_the_attempts(sandbox):
    # Five 429s in a row, then an answer: with three attempts a request still gets through.
    sandbox.set_faults(rate_limit_next={"count": 5, "retry_after": 0})
    with client_for(sandbox, attempts=3, backoff=0.0) as client:
        answer = client.sales_estimates("B0CL000007", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 1))
        assert len(answer.items[0]["attributes"]["data"]) == 1
        usage = client.usage.as_dict()
    assert sandbox.stats()["requests"] == 6 and usage["rate_limited"] == 5
    assert usage["lowest_rate_per_minute"] < usage["configured_rate_per_minute"]  # the limiter learned


def test_429s_are_bounded_by_the_rate_limit_wait(sandbox):
    sandbox.set_faults(rate_limit_next={"count": 100_000, "retry_after": 0})
    with client_for(sandbox, backoff=0.0, max_retry_wait=0.01, rate_limit_wait=0.3) as client:
        with pytest.raises(ApiError, match="still rate limited") as err:
            client.sales_estimates("B0CL000008", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    assert err.value.status == 429 and sandbox.stats()["requests"] >= 3


def test_5xx_and_429_mixed_count_only_the_5xx(sandbox):
    sandbox.set_faults(rate_limit_next={"count": 3, "retry_after": 0}, fail_next={"count": 2, "status": 503})
    with client_for(sandbox, attempts=3, backoff=0.0) as client:
        client.sales_estimates("B0CL000009", "us", dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    assert sandbox.stats()["by_status"] == {"429": 3, "503": 2, "200": 1}
