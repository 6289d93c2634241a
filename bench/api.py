"""Part 2, the API phase: an hourly sync's calls for new ASINs at the API's rate limit.

This service (BatchFetcher: concurrency follows the shared RateLimiter, up to max_concurrency
requests in flight) against a fixed pool of 5 workers (the same client with max_concurrency=5),
each against a fresh sandbox enforcing the limits with a set latency, so each starts with a full
bucket. Two floors: the issue's pure rate floor (the burst at once, then the per-minute rate) and
the floor of this workload, which also pays the product call's answer before sales can start
and the last call's answer.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any

from bench.common import API_KEY, MARKETPLACE, bench_asins
from extract.client import JungleScoutClient
from extract.fetch import AsinWork, BatchFetcher
from extract.ratelimit import RateLimiter
from sandbox.jungle_scout import Sandbox
from sync.config import Config

OURS, POOL = "ours", "fixed_5_workers"
POOL_SIZE = 5


def rate_floor(calls: int, per_minute: int, burst: int) -> float:
    """Seconds until the last of `calls` may start: the burst at once, then the rate."""
    return max(0, calls - burst) * 60.0 / per_minute


def workload_floor(sales_calls: int, per_minute: int, burst: int, latency: float) -> float:
    """Earliest end of one product call then `sales_calls` sales calls under the API's exact rule
    (no safety margin), every call answering after `latency`: simulated on a fake clock."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += max(seconds, 1e-9)

    limiter = RateLimiter(per_minute, burst, margin=0.0, clock=lambda: now[0], sleep=sleep)
    limiter.acquire()  # the product query, at 0
    now[0] = max(now[0], latency)  # sales wait for its answer
    for _ in range(sales_calls):
        limiter.acquire()
    return now[0] + latency  # the last answer


def max_in_window(times: list[float], window: float) -> int:
    """Most requests that arrived within any `window` seconds (half-open, as the API counts)."""
    times = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - window:
            first += 1
        most = max(most, last - first + 1)
    return most


def measure(design: str, latency: float, asins: int = 100, per_minute: int = 300, burst: int = 15) -> dict[str, Any]:
    """One hourly sync's API work for `asins` new ASINs against a fresh, rate-limited sandbox."""
    concurrency = Config(staging=None, production=None).max_concurrency if design == OURS else POOL_SIZE
    work = [AsinWork(asin) for asin in bench_asins(asins, "A")]
    with Sandbox(rate_per_minute=per_minute, burst_per_second=burst, latency=latency) as sandbox:
        limiter = RateLimiter(per_minute, burst)
        with JungleScoutClient(sandbox.base_url, API_KEY, limiter) as client:
            fetcher = BatchFetcher(client, MARKETPLACE, dt.datetime.now(dt.UTC).date(), max_concurrency=concurrency)
            start = time.perf_counter()
            rows = sum(1 for _ in fetcher.run(work))
            seconds = time.perf_counter() - start
        stats = sandbox.stats()
    failed = sum(o.failed for o in fetcher.outcomes.values())
    arrivals = [entry["t"] for entry in stats["log"]]
    calls = 1 + asins
    floor, workload = rate_floor(calls, per_minute, burst), workload_floor(asins, per_minute, burst, latency)
    return {
        "design": design,
        "latency_s": latency,
        "max_concurrency": concurrency,
        "seconds": round(seconds, 2),
        "floor_s": round(floor, 2),
        "ratio_to_floor": round(seconds / floor, 3) if floor else None,
        "workload_floor_s": round(workload, 2),
        "ratio_to_workload_floor": round(seconds / workload, 3),
        "requests": stats["requests"],
        "rate_limited": stats["rate_limited"],
        "max_in_flight": stats["max_in_flight"],
        "max_per_second": max_in_window(arrivals, 1.0),
        "failed_asins": failed,
        "rows": rows,
    }


def measure_real_limit(
    fraction: float, latency: float = 0.2, asins: int = 100, per_minute: int = 300, burst: int = 15
) -> dict[str, Any]:
    """Our client configured for `per_minute`/`burst` against a sandbox whose real limit is
    `fraction` of that (a key shared with another tool): the AIMD limiter must learn it, every
    ASIN must sync, and the time is set against the floor at the real limit."""
    real_rate, real_burst = max(1, int(per_minute * fraction)), max(1, int(burst * fraction))
    work = [AsinWork(asin) for asin in bench_asins(asins, "R")]
    with Sandbox(rate_per_minute=per_minute, burst_per_second=burst, latency=latency) as sandbox:
        sandbox.set_faults(real_rate={"per_minute": real_rate, "burst": real_burst})
        limiter = RateLimiter(per_minute, burst)
        with JungleScoutClient(sandbox.base_url, API_KEY, limiter) as client:
            fetcher = BatchFetcher(
                client,
                MARKETPLACE,
                dt.datetime.now(dt.UTC).date(),
                max_concurrency=Config(staging=None, production=None).max_concurrency,
            )
            start = time.perf_counter()
            rows = sum(1 for _ in fetcher.run(work))
            seconds = time.perf_counter() - start
            rates = client.usage.rates()
        stats = sandbox.stats()
    floor = workload_floor(asins, real_rate, real_burst, latency)
    return {
        "fraction": fraction,
        "configured_per_minute": per_minute,
        "configured_burst": burst,
        "real_per_minute": real_rate,
        "real_burst": real_burst,
        "latency_s": latency,
        "seconds": round(seconds, 2),
        "real_floor_s": round(floor, 2),
        "ratio_to_real_floor": round(seconds / floor, 3) if floor else None,
        "requests": stats["requests"],
        "rate_limited": stats["rate_limited"],
        "failed_asins": sum(o.failed for o in fetcher.outcomes.values()),
        "rows": rows,
        "effective_rate_per_minute": rates["effective_rate_per_minute"],
        "lowest_rate_per_minute": rates["lowest_rate_per_minute"],
    }


def run_real_limit(
    fractions: tuple[float, ...] = (0.5, 0.25),
    *,
    asins: int = 100,
    per_minute: int = 300,
    burst: int = 15,
    latency: float = 0.2,
    parallel: bool = True,
    log: Any = print,
) -> dict[str, Any]:
    """The API phase with the real limit at each fraction of the configured one (issue 9)."""
    measure_one = partial(measure_real_limit, latency=latency, asins=asins, per_minute=per_minute, burst=burst)
    if parallel and len(fractions) > 1:
        with ProcessPoolExecutor(len(fractions), mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(measure_one, fractions))
    else:
        results = [measure_one(f) for f in fractions]
    for r in results:
        log(
            f"  real limit x{r['fraction']}: {r['real_per_minute']}/min {r['seconds']:>7.2f} s "
            f"x{r['ratio_to_real_floor']:.3f} of its floor, {r['rate_limited']} x 429, "
            f"{r['failed_asins']} ASINs failed, ended at {r['effective_rate_per_minute']}/min"
        )
    return {
        "calls": 1 + asins,
        "runs": results,
        "targets": {
            "no_asin_failed": {
                "value": sum(r["failed_asins"] for r in results),
                "met": all(r["failed_asins"] == 0 for r in results),
            },
        },
    }


def _latency_pair(latency: float, asins: int, per_minute: int, burst: int) -> list[dict[str, Any]]:
    return [measure(design, latency, asins, per_minute, burst) for design in (OURS, POOL)]


def run(
    latencies: tuple[float, ...] = (0.2, 1.5, 3.0),
    *,
    asins: int = 100,
    per_minute: int = 300,
    burst: int = 15,
    parallel: bool = True,
    log: Any = print,
) -> dict[str, Any]:
    """Both designs at every latency; each latency in its own process when `parallel` (each
    sandbox counts its own key, so they do not share a budget). Returns the results section."""
    if parallel:
        with ProcessPoolExecutor(len(latencies), mp_context=multiprocessing.get_context("spawn")) as pool:
            pairs = list(pool.map(partial(_latency_pair, asins=asins, per_minute=per_minute, burst=burst), latencies))
    else:
        pairs = [_latency_pair(latency, asins, per_minute, burst) for latency in latencies]
    results = [r for pair in pairs for r in pair]
    for r in results:
        log(
            f"  {r['design']:<16} latency {r['latency_s']:>4} s {r['seconds']:>7.2f} s "
            f"x{r['ratio_to_workload_floor']:.3f} of the workload floor, {r['rate_limited']} x 429, "
            f"max {r['max_in_flight']} in flight"
        )
    ours = [r for r in results if r["design"] == OURS]
    worst = max(r["ratio_to_workload_floor"] for r in ours)
    worst_literal = max((r["ratio_to_floor"] for r in ours if r["ratio_to_floor"]), default=0.0)
    return {
        "calls": 1 + asins,
        "per_minute": per_minute,
        "burst": burst,
        "runs": results,
        "targets": {
            "ours_within_1.1x_workload_floor": {"value": worst, "met": worst <= 1.1},
            "ours_within_1.1x_rate_floor": {"value": worst_literal, "met": worst_literal <= 1.1},
            "ours_no_429": {
                "value": sum(r["rate_limited"] for r in ours),
                "met": all(r["rate_limited"] == 0 for r in ours),
            },
        },
    }
