"""The test-support layer itself: real PostgreSQL discovery/embedding and the TCP proxy."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest

from sandbox.postgres import (
    EmbeddedPostgres,
    PgServer,
    create_database,
    drop_database,
    find_or_start,
    found_server,
    main,
)
from sandbox.tcpproxy import TcpProxy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll for a condition that other threads make true (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _scalar(server: PgServer, query: str, params: tuple[object, ...] = (), dbname: str = "postgres") -> object:
    conn = server.connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            row = cur.fetchone()
            assert row is not None
            return row[0]
    finally:
        conn.close()


def _proxy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("tcpproxy-")]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """An embedded server on a tmp dir, started once, even when 5432 answers: that path must work too."""
    pg = EmbeddedPostgres(tmp_path_factory.mktemp("embedded") / "data").start()
    yield pg
    pg.stop()


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    """Whatever the project rule picks in this environment (URL, 5432, or embedded)."""
    with found_server(tmp_path_factory.mktemp("found") / "data") as server:
        yield server


@pytest.fixture
def proxy(embedded: EmbeddedPostgres) -> Iterator[TcpProxy]:
    with TcpProxy(embedded.host, embedded.port) as p:
        yield p
    assert not _proxy_threads()  # stop() joined everything


def _via(p: TcpProxy) -> PgServer:
    return PgServer(host=p.host, port=p.port, user="postgres", password=None)


# --------------------------------------------------------------------------- postgres


def test_find_or_start_then_create_and_drop_database(found: PgServer) -> None:
    name = "jssync_support_roundtrip"
    create_database(found, name)
    conn = found.connect(name)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE t (x text)")
            cur.execute("INSERT INTO t VALUES ('café')")
            cur.execute("SELECT upper(x), current_setting('server_encoding') FROM t")
            assert cur.fetchone() == ("CAFÉ", "UTF8")
        # Recreating while a session is still connected: the FORCE drop ends it.
        create_database(found, name)
        assert _scalar(found, "SELECT count(*) FROM pg_tables WHERE tablename = 't'", dbname=name) == 0
    finally:
        conn.close()
    drop_database(found, name)
    drop_database(found, name)  # IF EXISTS: a second drop is fine
    assert _scalar(found, "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)) == 0


@pytest.mark.parametrize("bad", ["Upper", "has-dash", "1starts_with_digit", "", "x" * 64, 'a"; DROP'])
def test_database_names_are_validated_before_connecting(bad: str) -> None:
    nowhere = PgServer(host="127.0.0.1", port=1, user="postgres", password=None)
    with pytest.raises(ValueError, match="invalid database name"):
        create_database(nowhere, bad)
    with pytest.raises(ValueError, match="invalid database name"):
        drop_database(nowhere, bad)


def test_test_database_url_takes_precedence(embedded: EmbeddedPostgres) -> None:
    url = f"postgresql://postgres@{embedded.host}:{embedded.port}/ignored"
    server = find_or_start(Path("/nonexistent"), env={"TEST_DATABASE_URL": url})
    assert (server.host, server.port, server.user, server.embedded) == (
        embedded.host,
        embedded.port,
        "postgres",
        None,
    )
    assert _scalar(server, "SELECT 1") == 1


def test_test_database_url_embedded_starts_one_and_found_server_stops_it(tmp_path: Path) -> None:
    # Even with 5432 answering: the path a machine without PostgreSQL takes (each xdist worker
    # then starts its own server in its own temporary directory).
    with found_server(tmp_path / "data", env={"TEST_DATABASE_URL": "embedded"}) as server:
        assert server.embedded is not None and server.embedded.data_dir == tmp_path / "data"
        assert server.port != 5432 and _scalar(server, "SELECT 1") == 1
    assert not server.embedded.is_running()


def test_unreachable_test_database_url_fails_loudly_without_leaking_password() -> None:
    url = f"postgresql://someone:s3cret@127.0.0.1:{_free_port()}/db"
    with pytest.raises(RuntimeError, match="TEST_DATABASE_URL") as info:
        find_or_start(Path("/nonexistent"), env={"TEST_DATABASE_URL": url}, timeout=0.5)
    assert "s3cret" not in str(info.value)


def test_pg_server_dsn_quotes_values() -> None:
    server = PgServer(host="127.0.0.1", port=5, user="u", password="p w'x")
    dsn = server.dsn("db")
    assert "port=5" in dsn and "dbname=db" in dsn and "password='p w\\'x'" in dsn
    assert "p w" not in repr(server)


def test_embedded_server_runs_queries_with_our_settings(embedded: EmbeddedPostgres) -> None:
    server = embedded.server()
    assert server.embedded is embedded and server.host == "127.0.0.1"
    assert int(str(_scalar(server, "SHOW server_version_num"))) >= 180000
    assert _scalar(server, "SHOW fsync") == "off"
    assert _scalar(server, "SHOW max_connections") == "200"
    assert _scalar(server, "SHOW listen_addresses") == "127.0.0.1"


def test_second_handle_reuses_the_running_server(embedded: EmbeddedPostgres) -> None:
    again = EmbeddedPostgres(embedded.data_dir).start()
    assert again.port == embedded.port
    assert again.is_running()


def test_cli_status(embedded: EmbeddedPostgres, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--data-dir", str(embedded.data_dir)]) == 0
    assert f"port={embedded.port}" in capsys.readouterr().out
    assert main(["status", "--data-dir", str(tmp_path / "nothing")]) == 1
    assert main(["stop", "--data-dir", str(tmp_path / "nothing")]) == 0


def test_embedded_stop_and_start_again(embedded: EmbeddedPostgres) -> None:
    port = embedded.port
    server = embedded.server()
    assert embedded.is_running()

    embedded.stop()
    assert not embedded.is_running()
    with pytest.raises(psycopg2.OperationalError):
        server.connect().close()
    embedded.stop()  # stopping a stopped server is a no-op

    embedded.start()
    assert embedded.is_running()
    assert embedded.port == port  # the same DSN keeps working across an outage
    assert _scalar(server, "SELECT 41 + 1") == 42


def test_start_failure_reports_the_server_log(tmp_path: Path, embedded: EmbeddedPostgres) -> None:
    pg = EmbeddedPostgres(tmp_path / "data", port=embedded.port)  # port already taken
    with pytest.raises(RuntimeError, match="server log tail") as info:
        pg.start()
    assert "could not" in str(info.value)  # postgres' own bind/lock complaint, from its log
    assert not pg.is_running()


# --------------------------------------------------------------------------- proxy


def test_proxy_forwards_a_connection(proxy: TcpProxy) -> None:
    assert proxy.port != 0 and proxy.connections == 0
    conn = _via(proxy).connect()
    try:
        assert proxy.connections == 1
        with conn.cursor() as cur:
            # Many chunks: order must survive the reader/sender hand-off.
            cur.execute("SELECT string_agg(i::text, ',' ORDER BY i) FROM generate_series(1, 200000) i")
            row = cur.fetchone()
        assert row is not None and row[0] == ",".join(str(i) for i in range(1, 200001))
    finally:
        conn.close()
    assert _wait_for(lambda: proxy.connections == 0)


def test_cut_drops_connections_and_refuses_new_ones_until_restore(proxy: TcpProxy) -> None:
    server = _via(proxy)
    conn = server.connect()
    try:
        proxy.cut()
        assert proxy.connections == 0
        with pytest.raises(psycopg2.OperationalError):
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
        with pytest.raises(psycopg2.OperationalError):
            server.connect().close()
    finally:
        conn.close()

    proxy.restore()
    assert _scalar(server, "SELECT 1") == 1


def test_delay_adds_latency_per_round_trip(proxy: TcpProxy) -> None:
    conn = _via(proxy).connect()

    def median_round_trip() -> float:
        samples = []
        with conn.cursor() as cur:
            cur.execute("SELECT 1")  # warm-up after a delay change
            for _ in range(20):
                started = time.perf_counter()
                cur.execute("SELECT 1")
                cur.fetchone()
                samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    try:
        proxy.delay = 0.0
        base = median_round_trip()
        proxy.delay = 0.005  # settable at run time, on a live connection
        delayed = median_round_trip()
    finally:
        conn.close()
    # 5 ms each way -> ~10 ms per round trip; require at least half of it.
    assert delayed - base >= 0.005, (base, delayed)


def test_stop_closes_live_connections_and_joins_threads(embedded: EmbeddedPostgres) -> None:
    p = TcpProxy(embedded.host, embedded.port, delay=0.001).start()
    conn = _via(p).connect()
    try:
        assert _scalar(_via(p), "SELECT 1") == 1
        p.stop()
        assert not _proxy_threads()
        with pytest.raises(psycopg2.OperationalError):
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
    finally:
        conn.close()
        p.stop()  # idempotent


def test_proxy_to_a_dead_target_closes_the_client(embedded: EmbeddedPostgres) -> None:
    with TcpProxy("127.0.0.1", _free_port()) as p:
        with pytest.raises(psycopg2.OperationalError):
            _via(p).connect().close()
        assert _wait_for(lambda: p.connections == 0)
