"""One rate limiter shared by every worker: the API's burst, then its per-minute rate.

A request may start when all hold: a token bucket (capacity = burst, refilled at
per_minute / 60 a second) has a token; fewer than `burst` requests started in the last second;
fewer than `per_minute` in the last minute. That is the API's own rule, so the limiter uses the
whole budget and no more. A small safety margin covers the jitter between our clock and the
API's arrival times, which would otherwise turn an exact schedule into occasional 429s.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Blocks each caller of acquire() until a request may start. Thread-safe."""

    def __init__(self, per_minute: int, burst_per_second: int, *, margin: float = 0.04,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if per_minute < 1 or burst_per_second < 1:
            raise ValueError("rate limits must be at least 1 request")
        self.per_minute = per_minute
        self.burst = burst_per_second
        self._interval = 60.0 / per_minute * (1 + margin)
        self._second = 1.0 + margin
        self._minute = 60.0 * (1 + margin / 10)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst_per_second)
        self._refilled = clock()
        self._starts: collections.deque[float] = collections.deque()
        self._paused_until = 0.0
        self.waited = 0.0  # total seconds callers spent waiting, for reports

    def _ready_at(self, now: float) -> float:
        """When the next request may start, given the state at `now` (lock held)."""
        self._tokens = min(self.burst, self._tokens + (now - self._refilled) / self._interval)
        self._refilled = now
        while self._starts and self._starts[0] <= now - self._minute:
            self._starts.popleft()
        ready = max(now, self._paused_until)
        if self._tokens < 1:
            ready = max(ready, now + (1 - self._tokens) * self._interval)
        if len(self._starts) >= self.burst:
            ready = max(ready, self._starts[-self.burst] + self._second)
        if len(self._starts) >= self.per_minute:
            ready = max(ready, self._starts[-self.per_minute] + self._minute)
        return ready

    def acquire(self) -> float:
        """Wait until a request may start and claim it; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                ready = self._ready_at(now)
                if ready <= now:
                    self._tokens -= 1
                    self._starts.append(now)
                    self.waited += waited
                    return waited
            delay = ready - now
            self._sleep(delay)
            waited += delay

    def pause_until(self, when: float) -> None:
        """Hold every caller until `when` (monotonic seconds): the API told us to back off."""
        with self._lock:
            self._paused_until = max(self._paused_until, when)
            self._tokens = min(self._tokens, 0.0)
