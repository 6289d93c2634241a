"""Part 4, the random-kill soak (issue 9): `jssync hourly` as a child process, SIGKILLed or cut
off from its databases at random moments while the sandbox fails a quarter of the calls; then
clean runs. Afterwards every ASIN must hold product and sales data, each daily series a year
long with no gap, and staging must equal production. Bounded in time (`seconds` of chaos).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import API_KEY, ROOT, Databases, bench_asins, sql_macros
from bench.memory import _ENV_PREFIXES, jssync_command, seed
from loaders.connections import connection
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer

PREFIX = "m_"  # bench.memory.seed's prefix


def _query(settings: Any, macro: str) -> list[tuple]:
    with connection(settings) as conn, conn, conn.cursor() as cur:
        cur.execute(getattr(sql_macros("soak.sql", settings.prefix), macro)())
        return cur.fetchall() if cur.description else []


def run(
    server: PgServer, work_dir: Path, *, asins: int = 60, seconds: float = 60.0, seed_: int = 9, log: Any = print
) -> dict[str, Any]:
    """The soak; returns its counts and checks (raises nothing for a failed check: see `targets`)."""
    rng = random.Random(seed_)
    names = bench_asins(asins, "K")
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    year_ago = yesterday.replace(
        year=yesterday.year - 1, day=28 if (yesterday.month, yesterday.day) == (2, 29) else yesterday.day
    )
    counts = {"runs": 0, "killed": 0, "cut": 0, "finished": 0, "clean_runs": 0}
    with (
        Databases(server, "soak") as dbs,
        Sandbox(rate_per_minute=1_000_000, burst_per_second=100_000, latency=0.02) as sandbox,
    ):
        seed(dbs, names)
        targets = {t: dbs.settings(t, PREFIX) for t in ("staging", "production")}
        env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIXES)}
        env.update(dbs.env(PREFIX))
        env.update(
            {
                "JUNGLE_SCOUT_API_KEY": API_KEY,
                "JUNGLE_SCOUT_BASE_URL": sandbox.base_url,
                "JUNGLE_SCOUT_RATE_PER_MINUTE": "1000000",
                "JUNGLE_SCOUT_BURST_PER_SECOND": "100000",
                "JUNGLE_SCOUT_RETRY_BACKOFF_MS": "0",
                "JUNGLE_SCOUT_MAX_RETRY_WAIT_MS": "0",
                "LANDING_DIR": str(work_dir / "soak_landing"),
            }
        )
        command = [*jssync_command(), "hourly"]
        logfile = (work_dir / "soak.log").open("a")

        def hourly() -> subprocess.Popen:
            counts["runs"] += 1
            return subprocess.Popen(command, env=env, cwd=ROOT, stdout=logfile, stderr=logfile)

        # Chaos: a quarter of the calls fail; each run is killed, cut off, or left to finish.
        sandbox.set_faults(fail_share={"share": 0.25, "status": 503, "seed": seed_})
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            child = hourly()
            fate = rng.choice(("kill", "cut", "finish"))
            try:
                child.wait(timeout=rng.uniform(0.3, 3.0))
                counts["finished"] += 1
                continue
            except subprocess.TimeoutExpired:
                pass
            if fate == "kill":
                child.send_signal(signal.SIGKILL)
                counts["killed"] += 1
            elif fate == "cut":
                for settings in targets.values():
                    _query(settings, "cut_sessions")
                counts["cut"] += 1
            try:
                child.wait(timeout=120)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            if fate == "finish":
                counts["finished"] += 1
            # The soak's failures back off for hours: travel past them, as the schedule would.
            _query(targets["staging"], "past_backoff")

        # Clean runs until nothing is due (a bound: enough runs for every ASIN, twice over).
        sandbox.reset()
        _query(targets["staging"], "past_backoff")
        for _ in range(2 * (asins // 100 + 2)):
            counts["clean_runs"] += 1
            code = subprocess.run(command, env=env, cwd=ROOT, stdout=logfile, stderr=logfile).returncode
            if code != 0:
                raise RuntimeError(f"a clean jssync hourly run failed (exit {code}); see {work_dir / 'soak.log'}")
            if not _query(targets["staging"], "incomplete"):
                break
        logfile.close()

        incomplete = [r[0] for r in _query(targets["staging"], "incomplete")]
        series = {r[0]: r[1:] for r in _query(targets["staging"], "series")}
        gaps = [a for a, (first, last, days) in series.items() if days != (last - first).days + 1]
        short = [a for a in names if a not in series or series[a][0] > year_ago or series[a][1] != yesterday]
        fingerprints = {t: _query(s, "fingerprint")[0] for t, s in targets.items()}
    equal = fingerprints["staging"] == fingerprints["production"]
    log(
        f"  soak: {counts['runs']} runs ({counts['killed']} killed, {counts['cut']} cut off, "
        f"{counts['finished']} finished), {counts['clean_runs']} clean runs; {len(incomplete)} incomplete, "
        f"{len(gaps)} with gaps, {len(short)} short series, staging {'=' if equal else '!='} production"
    )
    return {
        "asins": asins,
        "chaos_seconds": seconds,
        **counts,
        "targets": {
            "every_asin_synced": {"value": len(incomplete), "met": not incomplete},
            "no_gaps_in_daily_series": {"value": len(gaps) + len(short), "met": not gaps and not short},
            "staging_equals_production": {"value": equal, "met": equal},
        },
    }
