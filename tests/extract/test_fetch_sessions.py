"""Batch after batch on one client: the sales workers' HTTP sessions do not pile up."""

from __future__ import annotations

import datetime as dt

from extract.client import JungleScoutClient
from extract.fetch import AsinWork, BatchFetcher
from extract.ratelimit import RateLimiter


def test_each_batch_closes_its_workers_sessions(sandbox):
    client = JungleScoutClient(sandbox.base_url, "name:key-abc", RateLimiter(100_000, 10_000))
    with client:
        for batch in range(3):
            fetcher = BatchFetcher(client, "us", dt.date(2026, 11, 29), max_concurrency=8, date_range="1month")
            rows = list(fetcher.run([AsinWork(f"B0SE{batch}{i:05d}") for i in range(8)]))
            assert sum(t == "sales_estimates" for t, _ in rows) > 0
            assert client._sessions == []  # one per worker thread would stay open until the run ends
