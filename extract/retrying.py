"""Retry policies for every layer, built on tenacity, with waits a test can run at zero.

Each policy decides when to retry and how long to wait with the real numbers; only the sleep
itself is scaled by `wait_scale()` (JSSYNC_RETRY_WAIT_SCALE, default 1), so a test suite that
sets it to 0 runs every retry path without waiting and without changing a decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import tenacity

_scale = float(os.environ.get("JSSYNC_RETRY_WAIT_SCALE", "1") or 1)


def wait_scale() -> float:
    """The factor applied to every retry's sleep (1 in production)."""
    return _scale


def set_wait_scale(scale: float) -> None:
    """Scale every later retry sleep by `scale` (0: retry at once; tests)."""
    global _scale
    if scale < 0:
        raise ValueError(f"a retry wait scale must be 0 or more, not {scale}")
    _scale = scale


@contextlib.contextmanager
def wait_scale_set(scale: float) -> Iterator[None]:
    """`set_wait_scale(scale)` for the block, then the scale before."""
    before = _scale
    set_wait_scale(scale)
    try:
        yield
    finally:
        set_wait_scale(before)


def _sleep(seconds: float) -> None:
    if seconds * _scale > 0:
        time.sleep(seconds * _scale)


def policy(*, waiter: Callable[[float], object] | None = None, **kwargs: Any) -> tenacity.Retrying:
    """A tenacity.Retrying with the scaled sleep that re-raises the last error (not RetryError).

    `waiter` sleeps instead of time.sleep (still scaled): a run's RunStop.wait, so that a stop or
    the run's deadline ends a retry wait early (the next attempt then does not start)."""
    kwargs.setdefault("reraise", True)
    if waiter is None:
        return tenacity.Retrying(sleep=_sleep, **kwargs)

    def sleep(seconds: float) -> None:
        if seconds * _scale > 0:
            waiter(seconds * _scale)

    return tenacity.Retrying(sleep=sleep, **kwargs)


async def _async_sleep(seconds: float) -> None:
    if seconds * _scale > 0:
        await asyncio.sleep(seconds * _scale)


def async_policy(**kwargs: Any) -> tenacity.AsyncRetrying:
    """`policy` for coroutines (an asyncio library's requests), with the same scaled sleep."""
    kwargs.setdefault("reraise", True)
    return tenacity.AsyncRetrying(sleep=_async_sleep, **kwargs)


def polling(seconds: float, every: float, on: type[BaseException]) -> tenacity.Retrying:
    """Try again every `every` seconds while the call raises `on`, for at most `seconds`, then
    re-raise. Its sleeps are real, never scaled: it waits for another party, not a failure."""
    return tenacity.Retrying(
        stop=tenacity.stop_after_delay(seconds),
        wait=tenacity.wait_fixed(every),
        retry=tenacity.retry_if_exception_type(on),
        reraise=True,
    )
