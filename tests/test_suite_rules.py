"""Rules of the test suite itself: snapshots can't be rewritten under CI, and a run that collects no
test fails loudly (pytest's exit 5) in `make test`, which .ci/run calls."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import check_snapshot_mode

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_update_snapshots_is_refused_under_ci(ci):
    with pytest.raises(pytest.UsageError, match="refused under CI"):
        check_snapshot_mode({"CI": ci, "UPDATE_SNAPSHOTS": "1"})


def test_update_snapshots_outside_ci_and_the_default():
    assert check_snapshot_mode({"UPDATE_SNAPSHOTS": "1"}) is True
    assert check_snapshot_mode({"UPDATE_SNAPSHOTS": "1", "CI": "false"}) is True
    assert check_snapshot_mode({"CI": "true"}) is False
    assert check_snapshot_mode({}) is False
    with pytest.raises(pytest.UsageError, match="allowed are 1 or unset"):
        check_snapshot_mode({"UPDATE_SNAPSHOTS": "yes"})


def test_a_run_with_update_snapshots_under_ci_stops_in_pytest_configure(request, monkeypatch):
    """The guard sits in the root conftest's pytest_configure: the whole run stops (usage error)
    before any snapshot test could rewrite and then match its file."""
    root_conftest = ROOT / "tests" / "conftest.py"
    plugins = [
        p
        for p in request.config.pluginmanager.get_plugins()
        if getattr(p, "__file__", None) and Path(p.__file__) == root_conftest
    ]
    assert len(plugins) == 1
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
    with pytest.raises(pytest.UsageError, match="refused under CI"):
        plugins[0].pytest_configure(request.config)


@pytest.mark.parametrize(("exit_code", "said"), [(5, True), (1, False), (0, False)])
def test_make_test_fails_loudly_when_pytest_collects_nothing(exit_code, said):
    """`make test` (which .ci/run calls) passes pytest's exit code on; 5 (no tests) with a message.
    PYTEST stands in for pytest here so the recipe itself is what runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    for target in ("test", "test-fast"):
        run = subprocess.run(
            ["make", "-s", target, f"PYTEST=sh -c 'exit {exit_code}' --"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert (run.returncode != 0) == (exit_code != 0), run.stderr
        assert ("pytest collected no tests (exit 5)" in run.stderr) == said
