"""Shared fixtures: a real PostgreSQL (two databases per test run), the sandbox API over HTTP,
and per test either a fresh table prefix (tests that migrate themselves) or fresh migrated tables.

Migrating costs ~0.3 s per test, so `migrated` tests share one prefix migrated once per session
(tests/schemas.py) and start from its tables emptied; a test that changes that schema makes the
next test migrate a new one, and a test that overrides `prefix`/`env` gets a real migration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from extract import retrying
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer, create_database, drop_database, found_server
from sync import config as config_mod
from tests.helpers import API_KEY, Db, check_snapshot_mode, environment, migrate_targets, new_prefix
from tests.schemas import SharedSchema

ROOT = Path(__file__).resolve().parent.parent
__all__ = ["API_KEY"]  # kept importable from here, where it used to live
SHARED = pytest.StashKey[SharedSchema]()


# Fixtures that start or reach a PostgreSQL: a test using any of them (directly or through another
# fixture) is marked `db`; `make test-fast` runs the others (-m "not db").
DB_FIXTURES = frozenset({"pg_server", "embedded", "found"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: needs a PostgreSQL (set from the fixtures the test uses)")
    check_snapshot_mode(os.environ)  # UPDATE_SNAPSHOTS=1 under CI=true stops the run before any test


# Modules whose module-scoped fixture is expensive (a browser and a synced site, a landing file
# after two runs, embedded servers): under xdist each runs whole on one worker, so the fixture is
# built once. (xdist's own --dist loadgroup does the same from marks, but its grouping is lost on
# pytest 9.2, which no longer reads the item._nodeid it rewrites.)
ONE_WORKER_MODULES = frozenset(
    {
        "tests/api/test_dashboard.py",
        "tests/sync/test_landing.py",
        "tests/sandbox/test_postgres_and_proxy.py",
        "tests/sync/test_archive.py",
    }
)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's load scheduling, except that a module of ONE_WORKER_MODULES is one unit of work."""
    from xdist.scheduler import LoadScopeScheduling

    class Scheduler(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return Scheduler(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DB_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session", autouse=True)
def zero_retry_waits() -> Iterator[None]:
    """Every retry policy decides as in production but sleeps 0 s (here and in the `jssync`
    processes tests start, which inherit the environment)."""
    saved = os.environ.get("JSSYNC_RETRY_WAIT_SCALE")
    os.environ["JSSYNC_RETRY_WAIT_SCALE"] = "0"
    retrying.set_wait_scale(0)
    yield
    retrying.set_wait_scale(1)
    if saved is None:
        del os.environ["JSSYNC_RETRY_WAIT_SCALE"]
    else:
        os.environ["JSSYNC_RETRY_WAIT_SCALE"] = saved


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    """TEST_DATABASE_URL, else 127.0.0.1:5432, else an embedded PostgreSQL (stopped at the end;
    under xdist each worker starts its own in its own temporary directory)."""
    with found_server(tmp_path_factory.mktemp("pg") / "data") as server:
        yield server


@pytest.fixture(scope="session")
def databases(pg_server: PgServer) -> Iterator[dict[str, str]]:
    """A staging and a production database for this test run, dropped at the end."""
    names = {"staging": f"jssync_test_{os.getpid()}_staging", "production": f"jssync_test_{os.getpid()}_production"}
    for name in names.values():
        create_database(pg_server, name)
    yield names
    for name in names.values():
        drop_database(pg_server, name)


@pytest.fixture(scope="session")
def sandbox_api() -> Iterator[Sandbox]:
    """The Jungle Scout sandbox on loopback, generous limits (rate tests make their own)."""
    with Sandbox(rate_per_minute=100_000, burst_per_second=10_000) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_api: Sandbox) -> Sandbox:
    sandbox_api.reset()
    return sandbox_api


@pytest.fixture(scope="session")
def shared_schema(pg_server: PgServer, databases: dict[str, str]) -> SharedSchema:
    """The session's migrated prefix that `migrated` tests reuse, truncated between them."""
    return SharedSchema(pg_server, databases, new_prefix, ROOT / "sql/fixtures/product.sql")


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A fresh prefix; for a test that uses `migrated`, the shared migrated prefix, emptied."""
    if "migrated" in request.fixturenames:
        shared = request.getfixturevalue("shared_schema")
        request.node.stash[SHARED] = shared
        return shared.checkout()
    return new_prefix()


@pytest.fixture
def env(
    pg_server: PgServer, databases: dict[str, str], sandbox: Sandbox, prefix: str, tmp_path: Path
) -> dict[str, str]:
    """A complete, valid environment for one test: own prefix, own landing directory."""
    return environment(pg_server, databases, sandbox.base_url, prefix, tmp_path / "landing")


@pytest.fixture
def cfg(env: dict[str, str]) -> config_mod.Config:
    return config_mod.load(env, needs=["db", "api", "http"])


@pytest.fixture
def migrated(request: pytest.FixtureRequest, cfg: config_mod.Config) -> Iterator[config_mod.Config]:
    """Both targets migrated, and staging holding an empty product table."""
    shared = request.node.stash.get(SHARED, None)
    if shared is not None and shared.serves(cfg):
        yield cfg  # tables emptied by `prefix`
        shared.checkin()
        return
    yield migrate_targets(cfg)


@pytest.fixture
def staging(migrated: config_mod.Config) -> Iterator[Db]:
    db = Db(migrated, "staging")
    yield db
    db.close()


@pytest.fixture
def production(migrated: config_mod.Config) -> Iterator[Db]:
    db = Db(migrated, "production")
    yield db
    db.close()
