"""`make bench` at tiny sizes: every part runs and produces its result fields (no speed asserted)."""

from __future__ import annotations

import pytest

from bench import api, memory, report, writes

pytestmark = pytest.mark.slow


def test_write_path_runs_both_designs_and_counts_statements(pg_server, tmp_path):
    result = writes.run(pg_server, tmp_path, asins=3, small=2, repeats=1, log=lambda *_: None)
    designs = {(s["design"], s["network"]) for s in result["summary"]}
    assert designs == {(d, n) for d in (writes.OURS, writes.GO, writes.GO_WORKERS) for n in ("loopback", "proxy_2ms")}
    assert result["sales_rows"] > 0 and result["product_rows"] == 3
    assert all(s["seconds"] > 0 and s["rows_per_s"] > 0 for s in result["summary"])
    counts = result["statements_by_asins"]
    assert counts[writes.OURS]["2"] == counts[writes.OURS]["3"]  # one merge whatever the size
    assert counts[writes.GO]["3"] > counts[writes.GO]["2"]  # statements per ASIN
    assert set(result["targets"]) >= {
        "ours_loopback_under_1s",
        "5x_faster_than_go_design_with_proxy",
        "ours_statements_constant",
    }
    assert "Write path" in report.text({"write_path": result})


def test_api_phase_reports_time_floors_and_429s():
    result = api.run((0.05,), asins=4, parallel=False, log=lambda *_: None)
    assert {r["design"] for r in result["runs"]} == {api.OURS, api.POOL}
    for run in result["runs"]:
        assert run["requests"] == 5 and run["failed_asins"] == 0
        assert run["seconds"] > 0 and run["workload_floor_s"] >= 0.1
        assert {"ratio_to_floor", "ratio_to_workload_floor", "rate_limited", "max_in_flight"} <= set(run)
    assert "API phase" in report.markdown({"api_phase": result})


def test_workload_floor_is_the_burst_then_the_rate_plus_answers():
    assert api.rate_floor(101, 300, 15) == pytest.approx(17.2)
    # The product answer after 3 s, the bucket full again, 85 more at 5 a second, the last answer.
    assert api.workload_floor(100, 300, 15, 3.0) == pytest.approx(3 + 17 + 3, abs=1e-3)


def test_memory_part_measures_a_master_sync_child(pg_server, tmp_path):
    result = memory.run(pg_server, tmp_path, (4,), date_range="1month", log=lambda *_: None)
    assert [r["asins"] for r in result["runs"]] == [4]
    for run in result["runs"]:
        assert run["exit_code"] == 0 and run["processed"] == run["asins"] and run["peak_rss_mb"] > 10
    assert set(result["targets"]) == {"peak_rss_at_most_300mb", "largest_within_1.2x_smallest"}


def test_api_phase_at_a_real_limit_below_the_configured_one():
    result = api.run_real_limit(
        (0.25,), asins=24, per_minute=12_000, burst=80, latency=0.01, parallel=False, log=lambda *_: None
    )
    (run,) = result["runs"]
    assert run["real_per_minute"] == 3000 and run["failed_asins"] == 0 and run["requests"] >= 25
    assert run["rate_limited"] > 0 and run["lowest_rate_per_minute"] < 12_000  # the limiter learned
    assert result["targets"]["no_asin_failed"]["met"]
    assert "real limit below" in report.text({"api_real_limit": result})


def test_archive_part_times_the_archive_against_the_merge(pg_server, tmp_path):
    from bench import archive

    # file:// only: gs:// goes through the same Archive, tested against fake-gcs-server in tests/sync.
    result = archive.run(pg_server, tmp_path, (3,), destinations=("file",), log=lambda *_: None)
    assert [(r["asins"], r["destination"]) for r in result["runs"]] == [(3, "file")]
    for run in result["runs"]:
        assert run["batches"] == 1 and run["sales_rows"] == 3 * 366 and run["merge_s"] > 0
        steps = run["export_s"] + run["keep_in_staging_s"] + run["upload_s"] + run["done_s"]
        assert run["archive_s"] == pytest.approx(steps, abs=0.005) and run["ratio"] > 0
    assert set(result["targets"]) == {"archive_at_most_0.25_of_merge"}
    assert "Archive" in report.markdown({"archive": result})
