"""When a run's API requests must stop: a stop was asked (SIGTERM, SIGINT), or the run's time
allowance is running out. The fetcher, the rate limiter's waits and the retry waits all ask here.

- A *stop* (`request()`): no request starts any more, and the requests in flight are abandoned at
  once; a socket read may take its whole 60 s timeout, and nobody waits for it.
- The *deadline*: no request starts after it, retries included; requests in flight may still
  finish until `abandon_at` (the deadline plus a grace), then they are abandoned too.

A request is counted in the usage ledger when it is sent (`start()`), so an abandoned one is still
billed. Work that must end in bounded time once a stop is asked (a merge transaction) runs inside
`guard()`, which cancels it `guard_seconds` after the stop.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

TIME_UP = "the run's time allowance is used up"


class NotStarted(Exception):
    """A request the run did not send, or guarded work it did not begin: it was stopping, or its
    time allowance was up. Nothing reached the API; the ASIN is not attempted, not failed."""


class RunStop:
    """One run's stop: asked once (by the signal monitor), read by every thread of the run.

    `deadline` and `grace` are seconds on `clock` (monotonic); None: no deadline."""

    def __init__(
        self,
        deadline: float | None = None,
        grace: float = 0.0,
        *,
        guard_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.deadline = deadline
        self.abandon_at = None if deadline is None else deadline + max(0.0, grace)
        self.guard_seconds = guard_seconds
        self.reason: str | None = None
        self.requested_at: float | None = None
        self.refused = 0  # requests not sent because of the stop or the deadline
        # Done once a stop is asked: the fetcher waits on it together with the requests in flight.
        self.future: Future = Future()
        self._clock = clock
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._guards: dict[int, Callable[[], object]] = {}
        self._guards_expired = False
        self._ids = iter(range(1, 1 << 62))

    def now(self) -> float:
        return self._clock()

    # -- asking -------------------------------------------------------------------------------
    def request(self, reason: str) -> bool:
        """Stop the run's requests now; the first reason stays. Returns True the first time."""
        with self._lock:  # start() holds it while it counts: a counted request was sent before
            if self._event.is_set():
                return False
            self.reason = reason
            self.requested_at = self._clock()
            self._event.set()
        self.future.set_result(reason)
        timer = threading.Timer(self.guard_seconds, self._expire_guards)
        timer.daemon = True
        timer.name = "run-stop-guards"
        timer.start()
        return True

    @property
    def requested(self) -> bool:
        """True once a stop was asked (a signal): abandon everything in flight."""
        return self._event.is_set()

    def expired(self) -> bool:
        """True once the deadline has passed: no request starts any more."""
        return self.deadline is not None and self._clock() >= self.deadline

    def may_start(self) -> bool:
        return not self._event.is_set() and not self.expired()

    def abandon(self) -> bool:
        """True when the requests in flight are to be given up: a stop, or past the grace."""
        return self._event.is_set() or (self.abandon_at is not None and self._clock() >= self.abandon_at)

    def why(self) -> str:
        """Why requests no longer start: the stop's reason, else the time allowance."""
        return self.reason or TIME_UP

    def seconds_left(self) -> float:
        """Seconds until the deadline (inf without one, 0 once stopped or past it)."""
        if self._event.is_set():
            return 0.0
        if self.deadline is None:
            return math.inf
        return max(0.0, self.deadline - self._clock())

    def next_change(self) -> float | None:
        """Seconds until the deadline or abandon_at, whichever comes next (None: neither is
        ahead): how long the fetcher may wait on its requests before it must look again."""
        now = self._clock()
        ahead = [t - now for t in (self.deadline, self.abandon_at) if t is not None and t > now]
        return min(ahead) if ahead else None

    # -- used by the client -------------------------------------------------------------------
    def start(self, count: Callable[[], object]) -> None:
        """Claim one request: `count` it (the usage ledger) unless the run may no longer start
        requests, in which case raise NotStarted. Atomic with request(): once request() has
        returned, nothing more is counted, and whatever was counted is being sent."""
        with self._lock:
            if not self.may_start():
                self.refused += 1
                raise NotStarted(self.why())
            count()

    def check(self) -> None:
        """Raise NotStarted when the run may no longer start requests."""
        if not self.may_start():
            raise NotStarted(self.why())

    def wait(self, seconds: float) -> None:
        """Sleep up to `seconds` (a rate-limit or retry wait), waking at a stop or the deadline."""
        if seconds <= 0:
            return
        if self.deadline is not None:
            seconds = min(seconds, max(0.0, self.deadline - self._clock()))
        self._event.wait(seconds)

    # -- bounded work after a stop ------------------------------------------------------------
    @contextlib.contextmanager
    def guard(self, cancel: Callable[[], object]) -> Iterator[None]:
        """Run the block with `cancel` (e.g. a connection's cancel()) called should it still run
        `guard_seconds` after a stop was asked; PostgreSQL then rolls the transaction back, never
        half. Entering after that time raises NotStarted: the block does not begin."""
        with self._lock:
            if self._guards_expired:
                raise NotStarted(f"{self.why()}; no time was left for it")
            key = next(self._ids)
            self._guards[key] = cancel
        try:
            yield
        finally:
            with self._lock:
                self._guards.pop(key, None)

    def _expire_guards(self) -> None:
        with self._lock:
            self._guards_expired = True
            cancels = list(self._guards.values())
        for cancel in cancels:
            try:
                cancel()
            except Exception:  # noqa: BLE001 - a connection already gone has nothing to cancel
                pass
