"""Part 3, memory: peak RSS of `jssync master --mode fresh` over N visible ASINs.

Each size gets fresh databases seeded with N visible ASINs and its own landing directory; the
sync runs as a child process against the sandbox with its rate limits raised, and its peak RSS
is the kernel's high-water mark for that child (wait4's ru_maxrss), with /proc samples beside it
to show how RSS moves while the batches go by.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import API_KEY, ROOT, UNLIMITED, Databases, bench_asins, sql_macros
from loaders.connections import connection
from loaders.render import render
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer

PREFIX = "m_"
_ENV_PREFIXES = ("DB_STAGING_", "DB_PROD_", "JUNGLE_SCOUT_", "DISCORD_", "LANDING_DIR")


def jssync_command() -> list[str]:
    """The installed `jssync` beside this interpreter, else the same entry point via -c."""
    script = Path(sys.executable).with_name("jssync")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from cli.main import script; script()"]


def seed(dbs: Databases, asins: list[str]) -> None:
    """Migrate both targets and give staging a product table listing `asins` as visible."""
    staging = dbs.migrated(PREFIX)["staging"]
    with connection(staging) as conn, conn, conn.cursor() as cur:
        cur.execute(render("fixtures/product.sql", "staging", PREFIX))
        cur.execute(sql_macros("checks.sql", PREFIX).seed_products(), {"asins": asins})


def _rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run_child(
    command: list[str], env: dict[str, str], log_path: Path, interval: float = 0.5
) -> tuple[int, int, float, list[tuple[float, int]], str]:
    """Run `command`; (exit code, peak RSS KiB, seconds, RSS samples, stdout)."""
    samples: list[tuple[float, int]] = []
    start = time.perf_counter()
    with (
        log_path.open("w") as stderr,
        subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True) as child,
    ):
        done = threading.Event()

        def sample() -> None:
            while not done.wait(interval):
                rss = _rss_kib(child.pid)
                if rss is not None:
                    samples.append((round(time.perf_counter() - start, 1), rss))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        assert child.stdout is not None
        stdout = child.stdout.read()  # the --json status, at the very end
        _, status, usage = os.wait4(child.pid, 0)  # the child's own high-water mark
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    return child.returncode, usage.ru_maxrss, time.perf_counter() - start, samples, stdout


def measure(server: PgServer, base_url: str, work_dir: Path, asins: int, date_range: str) -> dict[str, Any]:
    """One master sync of `asins` visible ASINs as a child process; its peak RSS and outcome."""
    with Databases(server, f"mem{asins}") as dbs:
        seed(dbs, bench_asins(asins, "M"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIXES)}
        env.update(dbs.env(PREFIX))
        env.update(
            {
                "JUNGLE_SCOUT_API_KEY": API_KEY,
                "JUNGLE_SCOUT_BASE_URL": base_url,
                "JUNGLE_SCOUT_RATE_PER_MINUTE": str(UNLIMITED["rate_per_minute"]),
                "JUNGLE_SCOUT_BURST_PER_SECOND": str(UNLIMITED["burst_per_second"]),
                "LANDING_DIR": str(work_dir / f"landing_{asins}"),
            }
        )
        command = [*jssync_command(), "master", "--mode", "fresh", "--date-range", date_range, "--json"]
        code, peak, seconds, samples, stdout = run_child(command, env, work_dir / f"master_{asins}.log")
    try:
        status = json.loads(stdout)
    except ValueError:
        status = {}
    if code != 0 or status.get("processed_asins") != asins:
        tail = (work_dir / f"master_{asins}.log").read_text()[-2000:]
        raise RuntimeError(f"jssync master for {asins} ASINs failed (exit {code}):\n{tail}")
    step = max(1, len(samples) // 20)
    return {
        "asins": asins,
        "date_range": date_range,
        "peak_rss_mb": round(peak / 1024, 1),
        "seconds": round(seconds, 1),
        "exit_code": code,
        "processed": status.get("processed_asins"),
        "failed": status.get("failed_asins"),
        "api_calls": status.get("total_api_calls"),
        "rss_samples_mb": [(t, round(kib / 1024, 1)) for t, kib in samples[::step]],
    }


def run(
    server: PgServer,
    work_dir: Path,
    sizes: tuple[int, ...] = (1_000, 10_000),
    *,
    date_range: str = "1month",
    log: Any = print,
) -> dict[str, Any]:
    """Peak RSS of a master sync at every size; the targets compare the largest with the smallest."""
    results = []
    with Sandbox(**UNLIMITED) as sandbox:
        for asins in sizes:
            result = measure(server, sandbox.base_url, work_dir, asins, date_range)
            results.append(result)
            log(
                f"  master sync {asins:>6} ASINs ({date_range}): peak RSS {result['peak_rss_mb']:>6.1f} MB "
                f"in {result['seconds']:.0f} s, {result['api_calls']} API calls"
            )
    small, large = results[0], results[-1]
    growth = round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)
    return {
        "runs": results,
        "targets": {
            "peak_rss_at_most_300mb": {"value": large["peak_rss_mb"], "met": large["peak_rss_mb"] <= 300},
            "largest_within_1.2x_smallest": {"value": growth, "met": growth <= 1.2},
        },
    }
