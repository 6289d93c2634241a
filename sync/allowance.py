"""One time budget for an hourly run, from its start: SYNC_RUN_TIME_LIMIT_SECONDS covers the
catch-up, the fetching and the merging, and leaves a margin for the final merge and report.

    start ............................ fetch deadline ...... in-flight end ...... limit
      catch-up, cleanup, select, batches  | no request starts   | requests still    | last merge,
      (each batch merged as it is done)   | (retries included)  | out abandoned     | publish, report

The margin is a tenth of the limit, at most MAX_MARGIN seconds (120 s of the default 3000 s):
half of it for the requests in flight at the deadline to come back (the read timeout is 60 s),
half for the last merge, the publish to production and the report. The Cloud Run Job's task
timeout must exceed the limit by the container's start-up (README, Deployment): 3000 s is 50 min,
and the job's --task-timeout is 55m.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

MAX_MARGIN = 120.0
MARGIN_SHARE = 0.1


def margin(limit: float) -> float:
    """Seconds of `limit` kept for the requests in flight, the last merge and the report."""
    return min(MAX_MARGIN, limit * MARGIN_SHARE)


def fetch_seconds(limit: float) -> float:
    """Seconds from a run's start during which requests may start."""
    return limit - margin(limit)


def _iso(moment: dt.datetime) -> str:
    # Milliseconds, rounded up: a reader waiting for the deadline never wakes before it.
    moment = moment.astimezone(dt.UTC)
    up = math.ceil(moment.microsecond / 1000) * 1000
    moment = moment.replace(microsecond=0) + dt.timedelta(microseconds=up)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Allowance:
    """A run's time budget: `limit` seconds from `started` (monotonic), `started_at` (UTC) the
    same instant on the wall clock."""

    limit: float
    started: float
    started_at: dt.datetime

    @classmethod
    def begin(cls, limit: float) -> Allowance:
        """The allowance of a run starting now."""
        return cls(float(limit), time.monotonic(), dt.datetime.now(dt.UTC))

    @property
    def margin(self) -> float:
        return margin(self.limit)

    @property
    def fetch_deadline(self) -> float:
        """Monotonic time after which no request starts."""
        return self.started + self.limit - self.margin

    @property
    def grace(self) -> float:
        """Seconds the requests in flight at the deadline may still take before they are abandoned."""
        return self.margin / 2

    def wall(self, monotonic: float) -> dt.datetime:
        return self.started_at + dt.timedelta(seconds=monotonic - self.started)

    def fetch_seconds_left(self, now: float | None = None) -> float:
        """Seconds from `now` (monotonic) until the fetch deadline, at least 0."""
        return max(0.0, self.fetch_deadline - (time.monotonic() if now is None else now))

    def as_dict(self) -> dict:
        """The status object's `allowance`: limit, margin and the run's deadlines (UTC, ms)."""
        return {
            "limit_seconds": self.limit,
            "margin_seconds": round(self.margin, 3),
            "started_at": _iso(self.started_at),
            "fetch_until": _iso(self.wall(self.fetch_deadline)),
            "ends_by": _iso(self.wall(self.started + self.limit)),
            "used_up": False,
            "asins_left": 0,
        }

    def describe(self) -> str:
        """One line for the log: the allowance and its deadlines."""
        d = self.as_dict()
        return (
            f"time allowance {self.limit:g} s from {d['started_at']} (margin {self.margin:g} s): "
            f"requests start until {d['fetch_until']}, the run ends by {d['ends_by']}"
        )
