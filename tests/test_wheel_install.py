"""The package installs like a package: a wheel built from the tree, installed (not editable) into
a fresh virtualenv, renders, lints, migrates and runs an hourly sync from a directory outside the tree.

No network: the wheel is built without build isolation and installed with --no-deps; the fresh
venv finds the dependencies through a .pth naming this venv's site-packages (a .pth there is
not processed, so this checkout's own editable install stays invisible)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from loaders.render import render
from tests.helpers import Db, connect, seed

ROOT = Path(__file__).resolve().parent.parent
# What the wheel is built from; tests and benchmarks stay out, as in the image.
_ANYWHERE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".local",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.duckdb*",
)


def _left_out(directory: str, names: list[str]) -> set[str]:
    """As .dockerignore: tests/ and bench/ only at the top (sql/tests/ is package data)."""
    top = {"tests", "bench"} & set(names) if Path(directory) == ROOT else set()
    return set(_ANYWHERE(directory, names)) | top


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `jssync` script of a fresh venv holding only the built wheel."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_left_out)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(work / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("jssync-*.whl")
    fresh = work / "venv"
    venv.create(fresh, with_pip=False)
    site = next(fresh.glob("lib/python3*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(fresh / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    return fresh / "bin" / "jssync"


def _run(script: Path, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    child_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")} | env
    return subprocess.run([str(script), *args], env=child_env, cwd=cwd, capture_output=True, text=True, timeout=120)


# Run by the installed interpreter: where the packages come from, the dashboard's package data,
# then `jssync` commands through the console script's own main() (one start-up for all of them,
# about a second each otherwise); a JSON object on stdout.
_IN_PACKAGE = """
import contextlib, io, json, sys
from importlib.resources import files

import loaders, sql
from cli.main import main

found = {"modules": [loaders.__file__, sql.__file__], "page": [
    str(files("api") / p)
    for p in ("templates/dashboard.html", "static/dashboard.js", "static/dashboard.css")
    if (files("api") / p).is_file()
], "commands": []}
for args in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    found["commands"].append({"code": code, "stdout": out.getvalue()})
print(json.dumps(found))
"""


@pytest.mark.slow  # builds and installs a wheel: about 10 s
def test_installed_wheel_renders_lints_migrates_and_syncs_from_anywhere(
    installed: Path, env: dict[str, str], cfg, sandbox, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    python = installed.parent / "python"
    commands = [["render", "product_data", "--target", "production"], ["lint"], ["migrate"]]
    child_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")} | env
    ran = subprocess.run(
        [str(python), "-c", _IN_PACKAGE, json.dumps(commands)],
        cwd=outside,
        capture_output=True,
        text=True,
        env=child_env,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)
    for line in found["modules"]:  # the installed copy, not this checkout
        assert Path(line).is_relative_to(installed.parent.parent), line
    # The operations page ships as package data next to sql/ (GET /dashboard serves these files).
    shipped = found["page"]
    assert len(shipped) == 3 and all(Path(line).is_relative_to(installed.parent.parent) for line in shipped), shipped

    rendered, linted, migrated = found["commands"]
    assert rendered["code"] == 0, ran.stderr
    assert f'INSERT INTO "{env["DB_PROD_TABLE_PREFIX"]}jungle_scout_product_data"' in rendered["stdout"]

    assert linted["code"] == 0, linted["stdout"] + ran.stderr
    assert " 0 failed" in linted["stdout"] and "migrations/0001_sync_status.sql [staging]" in linted["stdout"]

    assert migrated["code"] == 0, ran.stderr
    for target in ("staging", "production"):
        applied = Db(cfg, target).scalar("SELECT count(*) FROM {p}jssync_schema_migrations")
        assert applied == len([n for n in os.listdir(ROOT / "sql" / "migrations") if n[:4].isdigit()])

    # An hourly sync, by the console script: the merge models and the landing views come from the
    # installed package.
    with connect(cfg, "staging") as conn, conn.cursor() as cur:
        cur.execute(render("fixtures/product.sql", "staging", cfg.staging.prefix))
    staging = Db(cfg, "staging")
    seed(staging, ["B0WHEEL001"])
    synced = _run(installed, ["hourly"], env, outside)
    assert synced.returncode == 0, synced.stderr
    assert staging.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data" WHERE asin = %s', ("B0WHEEL001",)) == 1

    # The data tests (sql/tests/) ship as package data and are found through the `sql` package.
    tested = _run(installed, ["data-tests", "--json", "--target", "staging"], env, outside)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert {t["name"] for t in json.loads(tested.stdout)["tests"]} == {
        p.stem for p in (ROOT / "sql" / "tests").glob("*.sql")
    }
