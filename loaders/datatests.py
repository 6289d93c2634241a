"""Data tests, dbt style: each file in sql/tests/ is one query returning the rows that fail it.

A test's header declares its severity (`-- severity: error` or `warn`) and, optionally, the
targets it applies to (`-- targets: staging`; default both). Tests are rendered per target like
any model, so `{{ table('...') }}` names the target's prefixed table. Add a test by adding a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

import sql as sql_package
from loaders.connections import DbSettings, connection
from loaders.execute import run_model
from loaders.render import TARGETS, RenderError, render

TESTS_FOLDER = "tests"  # under sql/, shipped as package data
SEVERITIES = ("error", "warn")
MAX_EXAMPLES = 5
_HEADER = re.compile(r"^--\s*(severity|targets)\s*:\s*(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class DataTest:
    """One test file: its name, severity and targets."""

    name: str
    template: str  # path under sql/, e.g. "tests/product_data_keys_unique.sql"
    severity: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class TestResult:
    """One test run on one target."""

    name: str
    target: str
    severity: str
    failures: int
    examples: list

    @property
    def passed(self) -> bool:
        return self.failures == 0

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "target": self.target,
            "severity": self.severity,
            "failures": self.failures,
            "passed": self.passed,
            "examples": self.examples,
        }


def parse(path: Traversable | Path, folder: str = TESTS_FOLDER) -> DataTest:
    """Read a test's header; RenderError when its severity or targets are missing or unknown."""
    found = dict(_HEADER.findall(path.read_text(encoding="utf-8")))
    severity = found.get("severity", "").lower()
    if severity not in SEVERITIES:
        raise RenderError(
            f"{path.name}: declare `-- severity: error` or `-- severity: warn` in its header "
            f"(found {severity or 'none'!r})"
        )
    targets = tuple(t.strip() for t in found.get("targets", ", ".join(TARGETS)).split(",") if t.strip())
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        raise RenderError(f"{path.name}: targets {unknown or targets} not allowed: use staging and/or production")
    return DataTest(path.name.removesuffix(".sql"), f"{folder}/{path.name}", severity, targets)


def discover(folder: str = TESTS_FOLDER) -> list[DataTest]:
    """Every test in sql/`folder` (read through the package's resources), by name."""
    top = sql_package.resource(folder)
    files = [node for node in top.iterdir() if node.is_file() and node.name.endswith(".sql")]
    return [parse(node, folder) for node in sorted(files, key=lambda node: node.name)]


def run_tests(settings: DbSettings, tests: list[DataTest] | None = None) -> list[TestResult]:
    """Run the tests that apply to `settings.target`, each in its own read-only transaction."""
    results = []
    with connection(settings, application_name="jssync-data-tests") as conn:
        conn.set_session(readonly=True)
        for test in tests if tests is not None else discover():
            if settings.target not in test.targets:
                continue
            test_sql = render(test.template, settings.target, settings.prefix).strip().rstrip(";")
            with conn, conn.cursor() as cur:
                run_model(cur, "data_test_run", settings.target, settings.prefix, None, test_sql=test_sql)
                failures, examples = cur.fetchone()
            results.append(TestResult(test.name, settings.target, test.severity, failures, examples[:MAX_EXAMPLES]))
    return results
