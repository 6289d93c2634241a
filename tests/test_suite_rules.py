"""Rules of the test suite itself: snapshots can't be rewritten under CI, and a run that collects no
test fails loudly (pytest's exit 5) in `make test`, which .ci/run calls."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "UPDATE_SNAPSHOTS", "PYTEST_ADDOPTS")}
    return {**env, **extra}


def test_a_pytest_run_with_update_snapshots_under_ci_stops_before_any_test():
    """The guard sits in pytest_configure: the whole run fails (usage error), no snapshot written."""
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co",
                          "tests/sql/test_snapshots.py"], cwd=ROOT, capture_output=True, text=True,
                         env=_environ(CI="true", UPDATE_SNAPSHOTS="1"), timeout=120)
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "refused under CI" in run.stderr


def test_make_test_fails_when_no_test_is_collected():
    run = subprocess.run(["make", "-s", "test", "PYTEST_ARGS=--co tests/test_suite_rules.py -k no_such_test_zz"],
                         cwd=ROOT, capture_output=True, text=True, env=_environ(), timeout=300)
    assert run.returncode != 0
    assert "pytest collected no tests (exit 5)" in run.stderr
