"""Shared fixtures: a real PostgreSQL (two databases per test run), the sandbox API over HTTP,
and a fresh table prefix per test so tests never see each other's rows."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from extract import retrying
from loaders.migrate import migrate
from loaders.render import render
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer, create_database, drop_database, find_or_start
from sync import config as config_mod
from tests.helpers import Db, connect

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "sandbox-key-0123456789"
_prefixes = itertools.count(1)


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
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> PgServer:
    """TEST_DATABASE_URL, else 127.0.0.1:5432, else an embedded PostgreSQL."""
    return find_or_start(tmp_path_factory.mktemp("pg") / "data")


@pytest.fixture(scope="session")
def databases(pg_server: PgServer) -> Iterator[dict[str, str]]:
    """A staging and a production database for this test run, dropped at the end."""
    names = {"staging": f"jssync_test_{os.getpid()}_staging",
             "production": f"jssync_test_{os.getpid()}_production"}
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


@pytest.fixture
def prefix() -> str:
    return f"t{os.getpid() % 10000}_{next(_prefixes)}_"


@pytest.fixture
def env(pg_server: PgServer, databases: dict[str, str], sandbox: Sandbox, prefix: str,
        tmp_path: Path) -> dict[str, str]:
    """A complete, valid environment for one test: own prefix, own landing directory."""
    values = {
        "JUNGLE_SCOUT_API_KEY": API_KEY,
        "JUNGLE_SCOUT_BASE_URL": sandbox.base_url,
        "JUNGLE_SCOUT_RATE_PER_MINUTE": "100000",
        "JUNGLE_SCOUT_BURST_PER_SECOND": "10000",
        "LANDING_DIR": str(tmp_path / "landing"),
        "JWT_SECRET": "jwt-secret-for-tests-0123456789",
        "SYNC_API_KEY": "sync-api-key-for-tests-0123456789",
        "PORT": "8080",
    }
    values.update(pg_server.db_env(databases, prefix))
    return values


@pytest.fixture
def cfg(env: dict[str, str]) -> config_mod.Config:
    return config_mod.load(env, needs=["db", "api", "http"])


@pytest.fixture
def migrated(cfg: config_mod.Config) -> config_mod.Config:
    """Both targets migrated, and staging holding an empty product table."""
    migrate(cfg.staging)
    migrate(cfg.production)
    with connect(cfg, "staging") as conn, conn.cursor() as cur:
        cur.execute(render("fixtures/product.sql", "staging", cfg.staging.prefix))
    return cfg


@pytest.fixture
def staging(migrated: config_mod.Config) -> Db:
    return Db(migrated, "staging")


@pytest.fixture
def production(migrated: config_mod.Config) -> Db:
    return Db(migrated, "production")
