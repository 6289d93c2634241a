"""One rate limiter shared by every worker: the API's burst, then its per-minute rate, lowered
when the API says the real limit is lower (AIMD).

A request may start when all hold: a token bucket (capacity = burst, refilled at rate / 60 a
second) has a token; fewer than `burst` requests started in the last second; fewer than `rate`
in the last minute. That is the API's own rule, so the limiter uses the whole budget and no more.
A small safety margin covers the jitter between our clock and the API's arrival times, which
would otherwise turn an exact schedule into occasional 429s.

The configured rate is a ceiling, not a promise: a key shared with another tool, or a smaller
plan, makes the API answer 429 although we kept to it. Then, as TCP does with its window, the
rate is cut multiplicatively, to 70 % as TCP CUBIC does (once per 429 episode: 429s of requests that started before the
cut say nothing new) and raised additively after a clean spell, never above the configured one.
The burst follows the rate down in proportion. The run keeps what it learned until it ends.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable

from extract.stopping import RunStop


class RateLimiter:
    """Blocks each caller of acquire() until a request may start. Thread-safe."""

    def __init__(
        self,
        per_minute: int,
        burst_per_second: int,
        *,
        margin: float = 0.04,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        decrease: float = 0.7,
        increase: float = 0.05,
        clean_seconds: float = 10.0,
        min_per_minute: float | None = None,
    ):
        if per_minute < 1 or burst_per_second < 1:
            raise ValueError("rate limits must be at least 1 request")
        if not 0 < decrease < 1 or not 0 < increase <= 1:
            raise ValueError("decrease must be in (0, 1) and increase in (0, 1]")
        self.per_minute = per_minute  # the configured ceiling
        self.burst_limit = burst_per_second
        self._margin = margin
        self._decrease = decrease
        self._step = max(1.0, per_minute * increase)  # requests/minute added after a clean spell
        self._clean_seconds = clean_seconds
        # Never below a hundredth of the configured rate (at least 1 a minute): a storm of 429s
        # must not leave the run crawling; each request's wait for 429s is bounded anyway.
        floor = per_minute / 100 if min_per_minute is None else min_per_minute
        self._floor = min(float(per_minute), max(1.0, floor))
        self._second = 1.0 + margin
        self._minute = 60.0 * (1 + margin / 10)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst_per_second)
        self._refilled = clock()
        self._starts: collections.deque[float] = collections.deque()
        self._paused_until = 0.0
        self._cut_at = -math.inf  # when the rate was last lowered
        self._clean = 0  # successes since the rate last changed
        self.waited = 0.0  # total seconds callers spent waiting, for reports
        self.lowest = float(per_minute)
        self.decreases = 0
        self._set_rate(float(per_minute))

    # -- the effective rate ------------------------------------------------------------------
    @property
    def rate(self) -> float:
        """The requests per minute in force now (the configured rate until the API says less)."""
        return self._rate

    def _set_rate(self, rate: float) -> None:
        """Lock held (or in __init__)."""
        self._rate = min(float(self.per_minute), max(self._floor, rate))
        self.lowest = min(self.lowest, self._rate)
        self._interval = 60.0 / self._rate * (1 + self._margin)
        self.burst = max(1, min(self.burst_limit, math.floor(self.burst_limit * self._rate / self.per_minute)))
        self._window = max(1, math.floor(self._rate))
        self._tokens = min(self._tokens, float(self.burst))
        self._clean = 0

    def now(self) -> float:
        """The limiter's clock: pass a request's start time back to rate_limited()."""
        return self._clock()

    def rate_limited(self, started: float | None, wait: float) -> None:
        """The API answered 429 to a request that started at `started` (now() after acquire):
        hold every caller for `wait` seconds and cut the rate, once per episode."""
        with self._lock:
            now = self._clock()
            if started is None or started > self._cut_at:
                self._set_rate(self._rate * self._decrease)
                self._cut_at = now
                self.decreases += 1
            self._paused_until = max(self._paused_until, now + wait)
            self._tokens = min(self._tokens, 0.0)

    def succeeded(self) -> None:
        """A request got through: after a clean spell (about `clean_seconds` of requests at the
        current rate, at least a burst) raise the rate by a step, up to the configured one."""
        with self._lock:
            if self._rate >= self.per_minute:
                return
            self._clean += 1
            if self._clean >= max(self.burst, self._rate * self._clean_seconds / 60.0):
                self._set_rate(self._rate + self._step)

    # -- admission ---------------------------------------------------------------------------
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
        if len(self._starts) >= self._window:
            ready = max(ready, self._starts[-self._window] + self._minute)
        return ready

    def acquire(self, stop: RunStop | None = None) -> float:
        """Wait until a request may start and claim it; returns the seconds waited. With a
        `stop`, the wait ends at the run's stop or deadline and raises NotStarted instead."""
        waited = 0.0
        while True:
            if stop is not None:
                stop.check()
            with self._lock:
                now = self._clock()
                ready = self._ready_at(now)
                if ready <= now:
                    self._tokens -= 1
                    self._starts.append(now)
                    self.waited += waited
                    return waited
            delay = ready - now
            if stop is None:
                self._sleep(delay)
                waited += delay
            else:
                stop.wait(delay)  # real time: a stop or the deadline ends it early
                waited += self._clock() - now

    def pause_until(self, when: float) -> None:
        """Hold every caller until `when` (monotonic seconds): the API told us to back off."""
        with self._lock:
            self._paused_until = max(self._paused_until, when)
            self._tokens = min(self._tokens, 0.0)
