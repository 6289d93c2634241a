"""Variation families (issue 18), the sync side: SALES_FAMILY_SHARING for a run's batches.

`sharing(run)` is what a batch's fetcher needs when sharing is on (None when off: one sales
call per ASIN, exactly as before): staging's side of the family sales (StagingFamilies reads the
stored identities, demotions, histories, prices and shared ranges through sql/queries/family_*),
the audit's share and the run id as the audit's seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from extract.families import FamilyTally, History, Identity, Key, Sharing


class StagingFamilies:
    """extract.families.FamilyContext over the run's staging connection (sync.run.SyncRun)."""

    def __init__(self, run) -> None:
        self.run = run

    def _keys(self, keys: Iterable[Key]) -> dict:
        keys = list(keys)
        return {
            "marketplace": self.run.marketplace,
            "parents": [k[0] for k in keys],
            "ranks": [k[1] for k in keys],
        }

    def identities(self, asins: list[str]) -> dict[str, Identity]:
        rows = self.run.query("family_identities", {"asins": asins})
        return {asin: Identity(*rest) for asin, *rest in rows}

    def demoted(self, keys: list[Key]) -> set[Key]:
        return {(p, r) for p, r in self.run.query("family_demoted", self._keys(keys))}

    def audited(self, keys: list[Key]) -> set[Key]:
        return {(p, r) for p, r in self.run.query("family_audited", self._keys(keys))} if keys else set()

    def shared_since(self, asins: list[str]) -> dict[str, dt.date]:
        rows = self.run.query("family_shared_since", {"marketplace": self.run.marketplace, "asins": asins})
        return dict(rows)

    def prices(self, asins: list[str], start: dt.date, end: dt.date) -> dict[str, dict[dt.date, float]]:
        out: dict[str, dict[dt.date, float]] = {}
        for asin, day, price in self.run.query("family_prices", {"asins": asins, "first": start, "last": end}):
            out.setdefault(asin, {})[day] = float(price)
        return out

    def histories(self, keys: list[Key]) -> dict[Key, History]:
        # A new member's range reaches back a year at most (sync.fetch.sales_range).
        since = self.run.status.started_at.date() - dt.timedelta(days=367)
        rows = self.run.query("family_histories", {**self._keys(keys), "since": since})
        found: dict[Key, History] = {}
        for parent, rank, donor, synced_at, day, units, source in rows:
            history = found.get((parent, rank))
            if history is None:
                history = found[(parent, rank)] = History(donor, synced_at, {}, {})
            if day is not None:
                history.units[day] = units
                history.sources[day] = source or donor
        return found


def sharing(run) -> Sharing | None:
    """The family sharing of `run`'s batches, or None when SALES_FAMILY_SHARING is off."""
    if not run.config.sales_family_sharing:
        return None
    return Sharing(StagingFamilies(run), run.config.sales_family_audit_percent, run.status.run_id)


def add_tally(status, tally: FamilyTally) -> None:
    """Add one batch's family figures to the run's status (sync.status.SyncStatus)."""
    status.sales_shared_asins += tally.shared
    audit = status.family_audit
    audit["checked"] += tally.checked
    audit["mismatched"] += tally.mismatched
    audit["demoted_groups"] += tally.demoted_groups
    if audit["mismatched"]:  # the owner's signal that the sharing does not hold everywhere: a yellow report
        warning = (
            f"family audit: {audit['mismatched']} of {audit['checked']} shared ASINs checked sold differently "
            f"from their group; the members of {audit['demoted_groups']} "
            f"{'group' if audit['demoted_groups'] == 1 else 'groups'} now get a sales call each"
        )
        status.warnings[:] = [w for w in status.warnings if not w.startswith(AUDIT_WARNING)] + [warning]


AUDIT_WARNING = "family audit: "
