"""The run-wide stop: what a stop and a deadline refuse, the waits they end, and the guard that
bounds a merge once a stop was asked (against a real PostgreSQL statement)."""

from __future__ import annotations

import threading

import psycopg2
import pytest

from extract.stopping import TIME_UP, NotStarted, RunStop
from loaders.connections import connect
from tests.helpers import APPLICATION_NAME, FakeClock, wait_for

GUARDED = APPLICATION_NAME + "-guarded"


def test_a_stop_ends_a_wait_and_refuses_every_new_request():
    stop = RunStop()
    woke = threading.Event()
    sleeper = threading.Thread(target=lambda: (stop.wait(600), woke.set()))
    sleeper.start()
    assert stop.may_start() and not stop.future.done()
    assert stop.request("Stopped by SIGTERM") is True
    assert stop.request("Stopped by SIGINT") is False  # the first reason stays
    sleeper.join(timeout=30)
    assert woke.is_set()  # a 600 s rate-limit or retry wait ended at the stop
    counted = []
    with pytest.raises(NotStarted, match="Stopped by SIGTERM"):
        stop.start(lambda: counted.append(1))
    assert counted == [] and stop.refused == 1 and stop.abandon() and stop.future.result() == "Stopped by SIGTERM"


def test_the_deadline_stops_new_requests_then_abandons_those_in_flight_after_the_grace():
    clock = FakeClock()
    stop = RunStop(deadline=100.0, grace=10.0, clock=clock)
    clock.now = 99.0
    counted = []
    stop.start(lambda: counted.append(1))
    assert counted == [1] and stop.seconds_left() == 1.0 and stop.next_change() == 1.0
    clock.now = 100.0
    with pytest.raises(NotStarted, match=TIME_UP):
        stop.start(lambda: counted.append(2))
    assert not stop.abandon() and stop.next_change() == 10.0  # in flight: they may come back
    clock.now = 110.0
    assert stop.abandon() and stop.next_change() is None and not stop.requested


def test_a_guard_cancels_the_statement_a_stop_left_running(migrated, staging):
    stop = RunStop(guard_seconds=0.2)
    conn = connect(migrated.staging, application_name=GUARDED)
    raised: list[BaseException] = []

    def merge() -> None:
        try:
            with stop.guard(conn.cancel), conn, conn.cursor() as cur:
                cur.execute("SELECT pg_sleep(120)")
        except BaseException as exc:  # noqa: BLE001 - looked at below
            raised.append(exc)

    worker = threading.Thread(target=merge)
    try:
        worker.start()
        wait_for(
            lambda: staging.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND state = 'active'",
                (GUARDED,),
            ),
            what="the guarded statement to run",
        )
        stop.request("Stopped by SIGTERM")
        worker.join(timeout=60)
        assert not worker.is_alive()
        assert [type(e) for e in raised] == [psycopg2.errors.QueryCanceled]  # rolled back, never half
        with pytest.raises(NotStarted, match="no time was left"), stop.guard(conn.cancel):
            pass  # past guard_seconds after the stop: guarded work does not begin
    finally:
        conn.close()
