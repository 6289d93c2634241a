"""`python -m bench` (`make bench`): write path, API phase, memory, freshness and families, side by side.

Prints the tables and writes bench/results.json. `--parts` picks parts, `--quick` runs tiny
sizes (a check that everything works, not a measurement), `--markdown` prints the tables of an
existing results file for bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import api, families, freshness, memory, report, soak, writes
from bench import archive as archive_bench
from bench import verify as verify_bench
from bench.common import ROOT, sql_macros
from sandbox.postgres import PgServer, find_or_start

RESULTS = ROOT / "bench" / "results.json"
PARTS = ("write", "api", "memory", "soak", "verify", "freshness", "archive", "families")


def machine(server: PgServer) -> dict[str, Any]:
    """What the numbers were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    conn = server.connect()
    try:
        version = conn.info.parameter_status("server_version")
        with conn.cursor() as cur:
            cur.execute(sql_macros("checks.sql", "x_").durability())
            fsync, synchronous_commit = cur.fetchone()
    finally:
        conn.close()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "postgresql": version,
        "postgresql_durability": f"fsync={fsync}, synchronous_commit={synchronous_commit}",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_before": round(os.getloadavg()[0], 2),
    }


def run(parts: Sequence[str], *, quick: bool = False, out: Path = RESULTS) -> dict[str, Any]:
    """Run the chosen parts; returns (and writes) the results."""
    started = time.perf_counter()
    server = find_or_start(ROOT / ".local" / "pg")
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(server),
    }
    with tempfile.TemporaryDirectory(prefix="jssync-bench-") as tmp:
        work = Path(tmp)
        if "write" in parts:
            print("== write path ==", flush=True)
            results["write_path"] = writes.run(
                server, work, asins=10 if quick else 100, small=3 if quick else 10, repeats=1 if quick else 3
            )
        if "api" in parts:
            print("== API phase ==", flush=True)
            results["api_phase"] = api.run((0.05,) if quick else (0.2, 1.5, 3.0), asins=10 if quick else 100)
            print("== API phase, real limit below the configured one ==", flush=True)
            results["api_real_limit"] = api.run_real_limit(
                (0.5, 0.25), asins=10 if quick else 100, latency=0.05 if quick else 0.2
            )
        if "memory" in parts:
            print("== memory ==", flush=True)
            results["memory"] = memory.run(
                server, work, (20, 40) if quick else (1_000, 10_000), date_range="1month" if quick else "1year"
            )
        if "soak" in parts:
            print("== random-kill soak ==", flush=True)
            results["soak"] = soak.run(server, work, asins=10 if quick else 60, seconds=10 if quick else 60)
        if "verify" in parts:
            print("== verify ==", flush=True)
            results["verify"] = verify_bench.run(server, (20_000,) if quick else (1_000_000, 10_000_000))
        if "freshness" in parts:
            print("== freshness ==", flush=True)
            results["freshness"] = freshness.run(
                server,
                work,
                asins=3_000 if quick else 300_000,
                days=3 if quick else 60,
                history_rows=20_000 if quick else 10_000_000,
                repeats=1 if quick else 3,
            )
        if "archive" in parts:
            print("== archive ==", flush=True)
            results["archive"] = archive_bench.run(server, work, (20, 40) if quick else (1_000, 10_000))
        if "families" in parts:
            print("== families ==", flush=True)
            results["families"] = families.run(
                server,
                work,
                sample_shape=families.Shape(19, 7, 11) if quick else families.Shape(1_900, 700, 1_100),
                owner_shape=families.Shape(1_900, 700, 1_100) if quick else families.OWNER,
                days=3 if quick else 60,
            )
    results["machine"]["load_after"] = round(os.getloadavg()[0], 2)
    results["duration_s"] = round(time.perf_counter() - started)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n")[0], epilog="Example: python -m bench --parts write,api"
    )
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the code, measures nothing")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default bench/results.json)")
    parser.add_argument("--markdown", action="store_true", help="print the tables of --out as Markdown; run nothing")
    args = parser.parse_args(argv)
    if args.markdown:
        print(report.markdown(json.loads(args.out.read_text())))
        return 0
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; use {', '.join(PARTS)}")
    results = run(parts, quick=args.quick, out=args.out)
    print()
    print(report.text(results))
    print(f"written to {args.out} in {results['duration_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
