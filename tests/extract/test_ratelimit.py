"""The shared rate limiter on a fake clock: the burst, then the rate, and never past the API's rule."""

from __future__ import annotations

import bisect

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from extract.ratelimit import RateLimiter
from tests.helpers import FakeClock

EPS = 1e-9


def limiter(per_minute: int, burst: int, **kwargs: float) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(per_minute, burst, clock=clock, sleep=clock.sleep, **kwargs), clock


def starts(limit: RateLimiter, clock: FakeClock, gaps: list[float]) -> list[float]:
    """Start times of one request after each gap (callers arriving one after another)."""
    out = []
    for gap in gaps:
        clock.now += gap
        limit.acquire()
        out.append(clock.now)
    return out


def most_in_window(times: list[float], window: float) -> int:
    """Most starts within any half-open `window` (the API forgets a start `window` seconds later)."""
    return max((bisect.bisect_left(times, t + window - EPS) - i for i, t in enumerate(times)), default=0)


def bucket_low(times: list[float], per_minute: int, burst: int) -> float:
    """Lowest level of the API's token bucket (capacity burst, per_minute/60 a second) over `times`."""
    tokens, last, low = float(burst), 0.0, float(burst)
    for t in times:
        tokens = min(burst, tokens + (t - last) * per_minute / 60) - 1
        last, low = t, min(low, tokens)
    return low


def test_burst_at_once_then_the_rate():
    limit, clock = limiter(300, 15, margin=0.0)
    times = starts(limit, clock, [0.0] * 40)
    assert times[:15] == [0.0] * 15
    # The tokens refilled meanwhile wait for the burst to leave the 1 s window, then one per 0.2 s.
    assert times[15:] == pytest.approx([max(1.0, 0.2 * k) for k in range(1, 26)], abs=1e-6)


def test_margin_slows_the_rate_by_that_much_only():
    limit, clock = limiter(300, 15, margin=0.04)
    times = starts(limit, clock, [0.0] * 101)
    floor = (101 - 15) * 60 / 300  # 17.2 s
    assert floor <= times[-1] <= floor * 1.04 + 1e-6


def test_minute_window_holds_callers():
    limit, clock = limiter(20, 10, margin=0.0)
    times = starts(limit, clock, [0.0] * 25)
    assert most_in_window(times, 60.0) <= 20
    assert times[20] >= 60.0 - 1e-6  # the 21st waits for the first to leave the minute


def test_pause_until_holds_every_caller():
    limit, clock = limiter(300, 15)
    limit.pause_until(5.0)
    assert starts(limit, clock, [0.0])[0] >= 5.0


@settings(max_examples=60, deadline=None)
@given(
    per_minute=st.integers(1, 600),
    burst=st.integers(1, 30),
    margin=st.sampled_from([0.0, 0.04]),
    gaps=st.lists(st.one_of(st.just(0.0), st.floats(0.0, 0.3), st.floats(0.0, 3.0)), min_size=1, max_size=250),
)
@example(per_minute=300, burst=15, margin=0.0, gaps=[0.0] * 120)  # everyone at once: the hourly sync
@example(per_minute=20, burst=10, margin=0.0, gaps=[0.5] * 60)  # the minute window binds
def test_never_past_the_api_rule(per_minute, burst, margin, gaps):
    limit, clock = limiter(per_minute, burst, margin=margin)
    times = starts(limit, clock, gaps)
    assert most_in_window(times, 1.0) <= burst
    assert most_in_window(times, 60.0) <= per_minute
    assert bucket_low(times, per_minute, burst) >= -1e-6


def test_rejects_limits_below_one():
    with pytest.raises(ValueError):
        RateLimiter(0, 15)


def test_429_cuts_the_rate_once_per_episode_and_a_clean_spell_raises_it():
    limit, clock = limiter(600, 10, margin=0.0)
    assert (limit.rate, limit.burst) == (600, 10)
    started = limit.now()
    limit.acquire()
    limit.rate_limited(started, 0.0)
    assert limit.rate == pytest.approx(420) and limit.lowest == limit.rate
    assert limit.burst == 7  # the burst follows the rate down
    limit.rate_limited(started, 0.0)  # another answer to a request sent before the cut: no news
    assert limit.rate == pytest.approx(420) and limit.decreases == 1
    clock.now += 1.0
    limit.rate_limited(limit.now(), 2.0)  # a request sent after the cut: cut again, and pause
    assert limit.rate == pytest.approx(294)
    before = clock.now
    limit.acquire()
    assert clock.now >= before + 2.0  # everyone held for the server's wait
    # Additive increase: a step of 5% of the configured rate after each clean spell, never above it.
    for _ in range(1000):
        limit.succeeded()
    assert limit.rate == 600 and limit.burst == 10 and limit.lowest == pytest.approx(294)


def test_lowered_rate_is_kept_on_the_fake_clock():
    limit, clock = limiter(600, 10, margin=0.0)
    for _ in range(4):
        limit.rate_limited(None, 0.0)
    assert limit.rate == pytest.approx(144.06)
    times = starts(limit, clock, [0.0] * 300)
    assert most_in_window(times, 60.0) <= 144 and most_in_window(times, 1.0) <= limit.burst
    assert bucket_low(times, 144.06, limit.burst) >= -EPS


def test_the_rate_never_falls_below_its_floor():
    limit, _ = limiter(600, 10)
    for _ in range(50):
        limit.rate_limited(None, 0.0)
    assert limit.rate == 6  # a hundredth of the configured rate
