"""A stop while a shared-rank group's one sales call is in flight: the members stay pending (their
product data kept, their sales a gap for the next run), nothing copied, nothing failed."""

from __future__ import annotations

import datetime as dt
import threading

from extract.client import JungleScoutClient
from extract.families import Sharing
from extract.fetch import AsinWork, BatchFetcher
from extract.ratelimit import RateLimiter
from extract.stopping import RunStop
from tests.helpers import wait_for

MEMBERS = ["B0FSSTOP01", "B0FSSTOP02", "B0FSSTOP03"]


class NothingStored:
    """Staging's side of the family sales for a catalogue synced for the first time."""

    def identities(self, asins):
        return {}

    def demoted(self, keys):
        return set()

    def histories(self, keys):
        return {}

    def shared_since(self, asins):
        return {}

    def prices(self, asins, start, end):
        return {}

    def audited(self, keys):
        return set()


def test_a_stop_leaves_a_groups_members_pending(sandbox):
    sandbox.set_faults(hold_after=1)  # the product call is answered, the group's sales call held
    stop = RunStop()
    client = JungleScoutClient(sandbox.base_url, "name:key-abc", RateLimiter(100_000, 10_000), stop=stop)
    with client:
        fetcher = BatchFetcher(
            client, "us", dt.date(2026, 11, 29), sharing=Sharing(NothingStored(), audit_percent=0), stop=stop
        )
        rows: list = []
        worker = threading.Thread(target=lambda: rows.extend(fetcher.run([AsinWork(a) for a in MEMBERS])))
        worker.start()
        try:
            wait_for(lambda: sandbox.stats()["held"] == 1, what="the group's sales call held")
            stop.request("SIGTERM")
            worker.join(timeout=30)
        finally:
            sandbox.set_faults(hold=False)
    assert [t for t, _ in rows].count("products") == 3
    assert not [r for t, r in rows if t in ("sales_estimates", "sales_provenance")]
    outcomes = {r["asin"]: (r["product_status"], r["sales_status"]) for t, r in rows if t == "asin_outcomes"}
    assert outcomes == dict.fromkeys(MEMBERS, ("found", "pending"))
    assert sorted(fetcher.unfinished) == MEMBERS and fetcher.family.shared == 0
