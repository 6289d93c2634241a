"""The benchmark's results as tables: plain text for the terminal, Markdown for bench/README.md."""

from __future__ import annotations

from typing import Any


def _tables(results: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table the results hold."""
    tables = []
    writes = results.get("write_path")
    if writes:
        title = (
            f"Write path: {writes['asins']} ASINs, {writes['sales_rows']:,} sales + {writes['product_rows']} "
            f"product rows into staging, then production (median of {writes['repeats']})"
        )
        rows = []
        for s in writes["summary"]:
            key = s["design"] + "/" + s["network"]
            speed = writes["speedup_vs_ours"].get(key, 1)
            rows.append(
                [
                    s["design"],
                    s["network"],
                    f"{s['seconds']:.3f}",
                    f"{s['rows_per_s']:,}",
                    str(s["statements"]),
                    f"x{speed}",
                ]
            )
        tables.append((title, ["design", "network", "seconds", "rows/s", "statements", "time vs ours"], rows))
        counts = writes["statements_by_asins"]
        sizes = sorted({int(n) for c in counts.values() for n in c})
        tables.append(
            (
                "Statements per sync (execute and COPY calls, both databases)",
                ["design", *[f"{n} ASINs" for n in sizes]],
                [[design, *[str(c.get(str(n), "")) for n in sizes]] for design, c in counts.items()],
            )
        )
    api = results.get("api_phase")
    if api:
        title = (
            f"API phase: {api['calls']} calls (1 product + {api['calls'] - 1} sales), sandbox enforcing "
            f"{api['per_minute']}/min and {api['burst']}/s"
        )
        rows = [
            [
                f"{r['latency_s']}",
                r["design"],
                f"{r['seconds']:.2f}",
                f"{r['floor_s']:.2f}",
                f"x{r['ratio_to_floor']:.2f}" if r["ratio_to_floor"] else "-",
                f"{r['workload_floor_s']:.2f}",
                f"x{r['ratio_to_workload_floor']:.3f}",
                str(r["rate_limited"]),
                str(r["max_in_flight"]),
            ]
            for r in api["runs"]
        ]
        tables.append(
            (
                title,
                [
                    "latency s",
                    "design",
                    "seconds",
                    "rate floor",
                    "x rate floor",
                    "workload floor",
                    "x workload floor",
                    "429s",
                    "max in flight",
                ],
                rows,
            )
        )
    real = results.get("api_real_limit")
    if real:
        title = (
            (
                f"API phase, real limit below the configured one: {real['calls']} calls, client configured "
                f"for {real['runs'][0]['configured_per_minute']}/min (AIMD limiter)"
            )
            if real["runs"]
            else ""
        )
        rows = [
            [
                f"x{r['fraction']}",
                f"{r['real_per_minute']}/min, {r['real_burst']}/s",
                f"{r['seconds']:.2f}",
                f"{r['real_floor_s']:.2f}",
                f"x{r['ratio_to_real_floor']:.3f}" if r["ratio_to_real_floor"] else "-",
                str(r["rate_limited"]),
                str(r["failed_asins"]),
                f"{r['lowest_rate_per_minute']:g}",
                f"{r['effective_rate_per_minute']:g}",
            ]
            for r in real["runs"]
        ]
        tables.append(
            (
                title,
                [
                    "real limit",
                    "real",
                    "seconds",
                    "floor at real limit",
                    "x floor",
                    "429s",
                    "ASINs failed",
                    "lowest rate/min",
                    "ended at/min",
                ],
                rows,
            )
        )
    verify = results.get("verify")
    if verify:
        rows = []
        for r in verify:
            for case in ("in_sync", "drifted"):
                c = r[case]
                rows.append(
                    [
                        f"{r['sales_rows']:,}",
                        case.replace("_", " "),
                        f"{c['seconds']:.2f}",
                        f"{c['bytes_read']['staging']:,}",
                        f"{c['bytes_read']['production']:,}",
                        f"{c['traffic_percent_of_table']}%",
                        str(c["drifted_asins"]),
                        f"{c['rows_repaired']} at {c['rows_repaired_per_s']}/s" if c["rows_repaired"] else "-",
                    ]
                )
            leveled = r.get("full_catch_up")
            if leveled:  # production emptied, then `jssync catch-up --full`
                rows.append(
                    [
                        f"{r['sales_rows']:,}",
                        "empty, catch-up --full",
                        f"{leveled['seconds']:.2f}",
                        "-",
                        "-",
                        "-",
                        str(leveled["differing_after"]),
                        f"{leveled['rows']:,} copied at {leveled['rows_per_s']:,}/s",
                    ]
                )
        tables.append(
            (
                "Verify: sales rows per target (365 days per ASIN), in sync and with 100 drifted ASINs",
                [
                    "sales rows",
                    "case",
                    "seconds",
                    "bytes from staging",
                    "bytes from production",
                    "traffic / table",
                    "drifted ASINs",
                    "repaired",
                ],
                rows,
            )
        )
    memory = results.get("memory")
    if memory:
        rows = [
            [f"{r['asins']:,}", r["date_range"], f"{r['peak_rss_mb']:.1f}", f"{r['seconds']:.0f}", str(r["api_calls"])]
            for r in memory["runs"]
        ]
        tables.append(
            (
                "Memory: `jssync master --mode fresh` as a child process, sandbox limits raised",
                ["ASINs", "date range", "peak RSS MB", "seconds", "API calls"],
                rows,
            )
        )
    fresh = results.get("freshness")
    if fresh:
        sc = fresh["scale"]
        tables.append(
            (
                f"Freshness: steps at {sc['visible_asins']:,} visible ASINs (seconds)",
                ["cleanup", "add-new", "select 100", "select 10,000", "freshness", "plan", "add-new of 100,000 new"],
                [
                    [
                        str(sc.get(k, "-"))
                        for k in (
                            "cleanup_s",
                            "add_new_s",
                            "select_100_s",
                            "select_10000_s",
                            "freshness_s",
                            "plan_s",
                            "add_new_of_the_new_third_s",
                        )
                    ]
                ],
            )
        )
        m = fresh["merge"]
        tables.append(
            (
                "Freshness: merge of a 100-ASIN batch (seconds)",
                ["empty sales table", f"{m['history_rows']:,} sales rows", "ratio", "target <= 1.5"],
                [[str(m["empty_s"]), str(m["history_s"]), f"x{m['ratio']}", "met" if m["within_target"] else "MISSED"]],
            )
        )
        rows = []
        for p in fresh["policies"]:
            days = p["by_day"]
            marks = [d for d in days if d["day"] in (1, 7, 14, 30, 60) or d is days[-1]]
            rows.append(
                [
                    p["policy"],
                    "-" if p["budget"] is None else f"{p['budget']:,}",
                    " ".join(f"d{d['day']}:{d['fresh_pct']:.0f}%" for d in marks),
                    " ".join(f"d{d['day']}:{d['max_age_days']}" for d in marks),
                    " / ".join(f"{r:,}" for r in p["requests_per_30_days"]),
                    str(p["best_threshold_days"]),
                ]
            )
        tables.append(
            (
                "Freshness: 60 simulated days (share fresh, oldest age in days, requests)",
                ["policy", "budget", "fresh by day", "oldest by day", "requests per 30 days", "best threshold"],
                rows,
            )
        )
    archive = results.get("archive")
    if archive:
        rows = [
            [
                f"{r['asins']:,}",
                r["destination"],
                str(r["batches"]),
                f"{r['sales_rows']:,}",
                f"{r['parquet_mb']:.1f}",
                f"{r['merge_s']:.2f}",
                f"{r['archive_s']:.2f}",
                f"{r['export_s']:.2f} / {r['keep_in_staging_s']:.2f} / {r['upload_s']:.2f} / {r['done_s']:.2f}",
                f"{r['ratio']:.3f}",
            ]
            for r in archive["runs"]
        ]
        tables.append(
            (
                "Archive: an hourly run of new ASINs archived, against its merge (seconds; goal ratio <= 0.25)",
                [
                    "ASINs",
                    "archive",
                    "batches",
                    "sales rows",
                    "Parquet MB",
                    "merge",
                    "archive",
                    "export / keep in staging / upload / done",
                    "archive / merge",
                ],
                rows,
            )
        )
    tables += _family_tables(results.get("families"))
    targets = [
        [part, name, _value(t["value"]), "met" if t["met"] else "MISSED"]
        for part in ("write_path", "api_phase", "api_real_limit", "memory", "soak", "archive")
        if results.get(part)
        for name, t in results[part]["targets"].items()
        if isinstance(t, dict)
    ]
    if targets:
        tables.append(("Targets", ["part", "target", "value", "status"], targets))
    return tables


def _family_tables(fam: dict[str, Any] | None) -> list[tuple[str, list[str], list[list[str]]]]:
    """The families part (issue 18): the sample through the service, the owner's catalogue."""
    if not fam:
        return []
    tables = []
    s = fam["sample"]
    shape = s["shape"]
    rows = [
        [
            f"{r['sharing_percent']}%",
            f"{r['per_asin']['requests']:,} ({r['requests_per_visible_asin']['per_asin']})",
            f"{r['sharing']['requests']:,} ({r['requests_per_visible_asin']['sharing']})",
            f"{r['counted']['sharing']:,}",
            f"{r['sharing']['sales_shared_asins']:,}",
            "{checked}/{mismatched}/{demoted_groups}".format(**r["sharing"]["family_audit"]),
            "exact" if r["exact"] else "DIFFER",
            f"{r['differences']['prices_not_known']:,}",
        ]
        for r in s["runs"]
    ]
    tables.append(
        (
            "Families, sample through the service: fresh master sync (1 month) of "
            f"{shape['variations'] + shape['standalone']:,} visible ASINs ({shape['variations']:,} variations of "
            f"{shape['families']:,} families), audit {s['audit_percent']}%",
            [
                "families sharing",
                "requests, a call per ASIN (per visible ASIN)",
                "requests with sharing (per visible ASIN)",
                "counted",
                "shared ASINs",
                "audit checked/mismatched/demoted",
                "units, identity, products, known prices",
                "prices not known (NULL)",
            ],
            rows,
        )
    )
    o = fam["owner"]
    shape = o["shape"]
    visible = shape["variations"] + shape["standalone"]
    rows = [
        [
            "a sales call per ASIN",
            f"{o['levels'][0]['counted']['per_asin']:,} ({o['levels'][0]['counted']['per_asin_per_visible_asin']})",
            "-",
            " / ".join(f"{r:,}" for r in o["per_asin"]["requests_per_30_days"]),
        ]
    ]
    for level in o["levels"]:
        c, counted = level["catalogue"], level["counted"]
        rows.append(
            [
                f"sharing, {level['sharing_percent']}% of families",
                f"{c['requests']:,} ({c['requests'] / visible:.3f} per visible ASIN)",
                f"{counted['parent_copy']:,} ({counted['parent_copy_per_visible_asin']})",
                " / ".join(f"{r:,}" for r in level["simulated"]["requests_per_30_days"]),
            ]
        )
    tables.append(
        (
            f"Families, the owner's catalogue: {visible:,} visible ASINs, {shape['variations']:,} variations of "
            f"{shape['families']:,} families; requests",
            [
                "policy",
                "per full refresh",
                "owner's parent copy",
                "per 30 days at 30 days (simulated, days 1-30 / 31-60)",
            ],
            rows,
        )
    )
    rows = []
    for name, sim in [("a sales call per ASIN", o["per_asin_budget"])] + [
        (f"sharing, {lv['sharing_percent']}%", lv["simulated_budget"]) for lv in o["levels"]
    ]:
        marks = [d for d in sim["by_day"] if d["day"] in (1, 7, 14, 30, 60) or d is sim["by_day"][-1]]
        rows.append(
            [
                name,
                " ".join(f"d{d['day']}:{d['fresh_pct']:.0f}%" for d in marks),
                " ".join(f"d{d['day']}:{d['max_age_days']}" for d in marks),
                " / ".join(f"{r:,}" for r in sim["requests_per_30_days"]),
                str(sim["best_threshold_days"]),
            ]
        )
    tables.append(
        (
            f"Families: 60 simulated days at 30 days with {fam['budget']:,} requests a month",
            ["policy", "fresh by day", "oldest by day", "requests per 30 days", "best threshold"],
            rows,
        )
    )
    goal = next((lv for lv in o["levels"] if lv["sharing_percent"] == 70), None)
    if goal is not None:
        value = goal["catalogue"]["requests"] / visible
        tables.append(
            (
                "Families: target",
                ["target", "value", "status"],
                [
                    [
                        f"at 70% sharing, <= {fam['goal_requests_per_visible_asin']} requests per visible ASIN "
                        "per refresh",
                        f"{value:.3f}",
                        "met" if goal["goal_met"] else "MISSED",
                    ]
                ],
            )
        )
    return tables


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def text(results: dict[str, Any]) -> str:
    """Every table, aligned for a terminal."""
    out = []
    for title, header, rows in _tables(results):
        widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
        out.append(title)
        for row in (header, ["-" * w for w in widths], *rows):
            out.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        out.append("")
    return "\n".join(out)


def markdown(results: dict[str, Any]) -> str:
    """Every table as Markdown, with the machine first."""
    machine = results.get("machine", {})
    out = [
        f"Machine: {machine.get('nproc')} CPUs ({machine.get('cpu_model')}), "
        f"PostgreSQL {machine.get('postgresql')} ({machine.get('postgresql_durability')}), "
        f"Python {machine.get('python')}; "
        f"load average {machine.get('load_before')} before, {machine.get('load_after')} after; "
        f"run {results.get('started_at')}, {results.get('duration_s')} s.",
        "",
    ]
    for title, header, rows in _tables(results):
        out += [f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        out.append("")
    return "\n".join(out)
