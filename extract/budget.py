"""The monthly request budget's gate: the client asks it before every request it sends.

Jungle Scout bills every request, retries and 429 answers included, against a monthly allowance.
A run learns at its start how many requests the month has left (from staging's usage ledger);
the gate then refuses the request that would go over, so a run never starts one the budget
cannot pay for. Thread-safe: sales requests are sent from a pool.
"""

from __future__ import annotations

import threading

from extract.client import ApiError

SPENT_MESSAGE = "monthly request budget spent"


class BudgetSpent(ApiError):
    """The month's request budget has no request left; nothing was sent, so the ASINs it was
    for are "not attempted" (no failure, no backoff, still due)."""

    def __init__(self, monthly: int):
        super().__init__(
            f"{SPENT_MESSAGE} ({monthly} requests this month); request not sent", category="api", attempted=False
        )


class RequestBudget:
    """`left` requests may still be sent this run (None: no budget, every request passes)."""

    def __init__(self, monthly: int | None, left: int | None):
        self.monthly = monthly
        self.left = None if left is None else max(0, left)
        self.refused = 0
        self._lock = threading.Lock()

    def take(self, endpoint: str = "") -> None:
        """Count one request about to be sent; raise BudgetSpent instead when none is left."""
        if self.left is None:
            return
        with self._lock:
            if self.left <= 0:
                self.refused += 1
                raise BudgetSpent(self.monthly or 0)
            self.left -= 1

    @property
    def spent_out(self) -> bool:
        """True once a request was refused or nothing is left."""
        return self.left is not None and (self.left <= 0 or self.refused > 0)
