"""Batch after batch on one client: one HTTP session and one connection pool, reused."""

from __future__ import annotations

import datetime as dt

from extract.client import JungleScoutClient
from extract.fetch import AsinWork, BatchFetcher
from extract.ratelimit import RateLimiter


def test_batches_reuse_the_clients_one_connection_pool(sandbox):
    sandbox.reset()
    client = JungleScoutClient(sandbox.base_url, "name:key-abc", RateLimiter(100_000, 10_000), pool_size=8)
    with client:
        for batch in range(3):
            fetcher = BatchFetcher(client, "us", dt.date(2026, 11, 29), max_concurrency=8, date_range="1month")
            rows = list(fetcher.run([AsinWork(f"B0SE{batch}{i:05d}") for i in range(8)]))
            assert sum(t == "sales_estimates" for t, _ in rows) > 0
    stats = sandbox.stats()
    # 3 batches x (1 product + 8 sales) requests; per-thread sessions would open a socket per
    # worker per batch (at least 24); one pool of 8 keeps at most 8 (+1 for the product call).
    assert stats["requests"] >= 27
    assert stats["connections_opened"] <= 9
