"""Variation families (issue 18): one sales call per shared-rank group, proven exact, audited.

Real PostgreSQL (staging and production), the sandbox over HTTP with its families: B0FS...
shares one rank (every member answers the listing's units, each with its own price), B0FO...
has a rank per variation, B0FL... claims a shared rank while its members sell differently."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import duckdb

from extract.families import FamilyTally
from extract.landing import FILE_NAME
from sandbox.jungle_scout import product_attributes
from sync.families import add_tally
from sync.hourly import run_hourly
from sync.manual import run_manual
from sync.master import run_master
from sync.report import YELLOW, build_payload
from sync.status import SyncStatus, utcnow
from tests.helpers import Db, seed, sync_status

TODAY = dt.datetime.now(dt.UTC).date()
YESTERDAY = TODAY - dt.timedelta(days=1)
SHARED = ["B0FSTOY101", "B0FSTOY102", "B0FSTOY103"]  # one group
SHARED_2 = ["B0FSGAME01", "B0FSGAME02"]  # another
OWN = ["B0FOOWN101", "B0FOOWN102"]  # own ranks: a call each
LYING = ["B0FLLIE101", "B0FLLIE102", "B0FLLIE103"]  # claims one rank, sells apart
STANDALONE = ["B0STAND001", "B0STAND002"]
ROW = "date, estimated_units_sold, is_parent, is_variant, is_standalone, parent_asin, last_known_price"


def sharing(cfg, audit: float = 2.0):
    return dataclasses.replace(cfg, sales_family_sharing=True, sales_family_audit_percent=audit)


def sales_calls(sandbox) -> list[str]:
    return [e["asins"][0] for e in sandbox.stats()["log"] if e["endpoint"] == "sales"]


def product_calls(sandbox) -> int:
    return sum(e["endpoint"] == "products" for e in sandbox.stats()["log"])


def sales(db: Db, asins: list[str]) -> dict[str, list[tuple]]:
    rows = db.rows(
        f'SELECT asin, {ROW} FROM "{{p}}jungle_scout_sales_estimate_data" WHERE asin = ANY(%s) ORDER BY asin, date',
        (asins,),
    )
    out: dict[str, list[tuple]] = {a: [] for a in asins}
    for asin, *rest in rows:
        out[asin].append(tuple(rest))
    return out


def provenance(db: Db) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for asin, first, last, source in db.rows(
        'SELECT asin, first_date, last_date, source_asin FROM "{p}jssync_sales_provenance" ORDER BY asin, first_date'
    ):
        out.setdefault(asin, []).append((first, last, source))
    return out


def price(asin: str) -> Decimal:
    return Decimal(str(product_attributes(asin, "us")["price"])).quantize(Decimal("0.01"))


def forget_syncs(staging: Db, production: Db) -> None:
    """Staging and production as before any sync (the product rows of earlier days stay)."""
    for table in ("jungle_scout_sync_status", "jssync_asin_family", "jssync_sales_provenance", "jssync_family_audits"):
        staging.execute(f'DELETE FROM "{{p}}{table}"')
    for db in (staging, production):
        db.execute('DELETE FROM "{p}jungle_scout_sales_estimate_data"')
        db.execute('DELETE FROM "{p}jungle_scout_product_data" WHERE report_date = %s', (TODAY,))


def test_one_sales_call_per_shared_group_plus_the_audit(migrated, staging, sandbox):
    seed(staging, [*SHARED, *SHARED_2, *OWN, *STANDALONE])
    status = run_hourly(sharing(migrated), "us").as_dict()

    calls = sales_calls(sandbox)
    # One call per shared group (2), one per own-rank variation (2) and standalone ASIN (2), and
    # the audit's: 2 % of the 3 shared members, rounded up to one.
    assert len(calls) == 2 + 2 + 2 + 1 and product_calls(sandbox) == 1
    assert set(OWN + STANDALONE) <= set(calls)
    assert len(set(calls) & set(SHARED + SHARED_2)) == 3  # a source per group, and the audited member
    assert set(calls) & set(SHARED) and set(calls) & set(SHARED_2)
    assert status["total_api_calls"] == 8 and status["total_asins_processed"] == 9
    assert status["sales_shared_asins"] == 2  # 3 shared members, one of them audited
    assert status["family_audit"] == {"checked": 1, "mismatched": 0, "demoted_groups": 0}
    assert status["successful_sales_sync"] == 9 and status["failed_asins"] == 0
    # The shared members' rows are recorded as copies of the group's one answer.
    shared = provenance(staging)
    assert len(shared) == 2 and set(shared) <= set(SHARED + SHARED_2)
    for asin, ranges in shared.items():
        (first, last, source), *more = ranges
        assert not more and source in calls and source[:-2] == asin[:-2]
        assert last == YESTERDAY and (last - first).days in (365, 366)
    # The landing file says the same: the copied ranges, the days they cover, the audit.
    with duckdb.connect(str(migrated.landing_dir / FILE_NAME), read_only=True) as con:
        landed = con.execute(
            "SELECT asin, first_date, last_date, source_asin FROM landing.sales_provenance ORDER BY asin"
        ).fetchall()
        days = con.execute("SELECT asin, count(*), min(source_asin) FROM landing.shared_sales GROUP BY 1").fetchall()
        audits = con.execute("SELECT asin, days_differing FROM landing.family_audits").fetchall()
    assert {a: [tuple(r)] for a, *r in landed} == shared
    assert sorted(days) == sorted((a, (r[0][1] - r[0][0]).days + 1, r[0][2]) for a, r in shared.items())
    assert len(audits) == 1 and audits[0][1] == 0 and audits[0][0] in calls


def test_default_off_is_one_sales_call_per_asin(migrated, staging, sandbox):
    seed(staging, [*SHARED, *SHARED_2, *OWN, *STANDALONE])
    status = run_hourly(migrated, "us").as_dict()
    assert sorted(sales_calls(sandbox)) == sorted([*SHARED, *SHARED_2, *OWN, *STANDALONE])
    assert status["total_api_calls"] == 1 + 9
    assert status["sales_shared_asins"] == 0
    assert status["family_audit"] == {"checked": 0, "mismatched": 0, "demoted_groups": 0}
    assert provenance(staging) == {}


def test_every_member_ends_with_what_its_own_call_gives(migrated, staging, production, sandbox):
    """Units and identity exactly as per-ASIN calls give them; the price too where the service
    knows it (the member's own product price on a day its product data was fetched), else NULL."""
    asins = [*SHARED, *SHARED_2, *OWN, *STANDALONE]
    seed(staging, asins)
    known = TODAY - dt.timedelta(days=10)
    for asin in SHARED + SHARED_2:  # product data fetched ten days ago: that day's price is known
        for db in (staging, production):
            db.execute(
                'INSERT INTO "{p}jungle_scout_product_data" (asin, report_date, price, created_at) '
                "VALUES (%s, %s, %s, %s)",
                (asin, known, price(asin), dt.datetime(2026, 1, 1)),
            )
    run_hourly(migrated, "us")
    per_asin = sales(staging, asins)
    forget_syncs(staging, production)
    sandbox.reset()

    status = run_hourly(sharing(migrated), "us").as_dict()
    assert len(sales_calls(sandbox)) == 7 and status["sales_shared_asins"] == 2
    shared = sales(staging, asins)
    copied = provenance(staging)
    assert len(copied) == 2
    for asin in asins:
        assert len(shared[asin]) in (366, 367)
        # date, units and the identity columns: every day, every member
        assert [r[:6] for r in shared[asin]] == [r[:6] for r in per_asin[asin]], asin
        if asin in copied:  # the group's units, its own price on the day it is known, else NULL
            assert {r[0]: r[6] for r in shared[asin] if r[6] is not None} == {known: price(asin)}
            assert dict((r[0], r[6]) for r in per_asin[asin])[known] == price(asin)
        else:  # its own answer: prices included
            assert shared[asin] == per_asin[asin], asin
    # Production got the shared rows through the outbox: it mirrors staging.
    assert status["parity"] == {"checked_asins": 9, "drifted_asins": []}
    assert sales(production, asins) == shared


def test_a_lying_family_is_caught_by_a_full_audit_and_ends_exact(migrated, staging, production, sandbox):
    seed(staging, [*LYING, *SHARED])
    run_hourly(migrated, "us")  # per-ASIN, for the comparison
    per_asin = sales(staging, LYING + SHARED)
    forget_syncs(staging, production)
    sandbox.reset()

    status = run_hourly(sharing(migrated, audit=100), "us").as_dict()
    # Every shared member is audited: the lying family's two differ, the true family's two match.
    assert status["family_audit"] == {"checked": 4, "mismatched": 2, "demoted_groups": 1}
    assert status["sales_shared_asins"] == 0
    assert len(sales_calls(sandbox)) == 6  # two sources and four audits: nothing copied
    assert sales(staging, LYING + SHARED) == per_asin
    assert provenance(staging) == {}
    demoted = staging.rows('SELECT parent_asin, days_differing > 300 FROM "{p}jssync_family_demotions"')
    assert demoted == [("B0FLLIE100", True)]
    audits = staging.rows('SELECT asin, days_compared, days_differing = 0 FROM "{p}jssync_family_audits" ORDER BY asin')
    assert [(a, ok) for a, _, ok in audits] == [(a, a.startswith("B0FS")) for a, _, _ in audits]
    assert all(days in (366, 367) for _, days, _ in audits) and len(audits) == 4

    # From then on each member of the demoted group gets its own call.
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_data_synced_at = product_data_synced_at '
        "- interval '40 days', sales_estimate_data_synced_at = sales_estimate_data_synced_at - interval '3 days'"
    )
    sandbox.reset()
    later = run_hourly(sharing(migrated, audit=100), "us").as_dict()
    calls = sales_calls(sandbox)
    assert sorted(a for a in calls if a.startswith("B0FL")) == LYING
    assert later["family_audit"] == {"checked": 2, "mismatched": 0, "demoted_groups": 0}


def test_a_demoted_groups_unaudited_members_are_fetched_again_at_once(migrated, staging, production, sandbox):
    seed(staging, LYING)
    status = run_hourly(sharing(migrated, audit=2), "us").as_dict()
    # The source, one audit (2 % of 2 rounds up to 1), then the other member's own call.
    assert len(sales_calls(sandbox)) == 3 and sorted(sales_calls(sandbox)) == LYING
    assert status["family_audit"] == {"checked": 1, "mismatched": 1, "demoted_groups": 1}
    assert status["sales_shared_asins"] == 0 and status["failed_asins"] == 0
    assert provenance(staging) == {}
    own = sales(staging, LYING)
    forget_syncs(staging, production)
    run_hourly(migrated, "us")
    assert sales(staging, LYING) == own  # what per-ASIN calls give


def test_a_new_member_of_a_synced_group_copies_its_history_without_a_call(migrated, staging, production, sandbox):
    seed(staging, SHARED[:2])
    run_hourly(sharing(migrated, audit=0), "us")
    source = sales_calls(sandbox)
    assert len(source) == 1
    sandbox.reset()

    seed(staging, [SHARED[2]])
    status = run_hourly(sharing(migrated, audit=0), "us").as_dict()
    assert sales_calls(sandbox) == [] and product_calls(sandbox) == 1
    assert status["sales_shared_asins"] == 1 and status["successful_sales_sync"] == 1
    newcomer = sales(staging, [SHARED[2]])[SHARED[2]]
    group = sales(staging, source)[source[0]]
    assert [r[:2] for r in newcomer] == [r[:2] for r in group] and len(newcomer) in (366, 367)
    assert {r[2:6] for r in newcomer} == {(False, True, False, "B0FSTOY100")}  # its own identity
    assert {r[6] for r in newcomer} == {None}  # no product data of its own on those days
    assert provenance(staging)[SHARED[2]] == [(newcomer[0][0], YESTERDAY, source[0])]
    donor = sync_status(staging, source[0])["sales_estimate_data_synced_at"]
    assert sync_status(staging, SHARED[2])["sales_estimate_data_synced_at"] == donor
    assert sales(production, [SHARED[2]])[SHARED[2]] == newcomer


def test_a_due_member_refreshes_its_group_in_one_call_and_an_own_rank_leaves_at_once(migrated, staging, sandbox):
    seed(staging, SHARED)
    run_hourly(sharing(migrated, audit=0), "us")
    age = (
        'UPDATE "{p}jungle_scout_sync_status" SET sales_estimate_data_synced_at = %(at)s, '
        "product_data_synced_at = CASE WHEN asin = %(due)s THEN %(at)s - interval '40 days' ELSE %(at)s END"
    )
    three_days_ago = dt.datetime.combine(TODAY - dt.timedelta(days=3), dt.time(6))
    staging.execute(age, {"at": three_days_ago, "due": SHARED[0]})
    sandbox.reset()

    # Only the first is due (its product data are 40 days old): its group comes with it.
    status = run_hourly(sharing(migrated, audit=0), "us").as_dict()
    assert status["total_asins_processed"] == 3 and status["stale_asins_synced"] == 1
    assert len(sales_calls(sandbox)) == 1 and product_calls(sandbox) == 1
    assert status["sales_shared_asins"] == 2
    fresh = {sync_status(staging, a)["product_data_synced_at"].date() for a in SHARED}
    assert fresh == {TODAY}  # refreshed together: they come due together again

    # A variation whose product data now show a rank of its own leaves the group in that run.
    staging.execute(age, {"at": three_days_ago, "due": SHARED[0]})
    sandbox.reset()
    sandbox.set_faults(bad_values={SHARED[1]: {"product_rank": 77}})
    status = run_hourly(sharing(migrated, audit=0), "us").as_dict()
    calls = sales_calls(sandbox)
    assert len(calls) == 2 and SHARED[1] in calls and status["sales_shared_asins"] == 1
    assert staging.scalar('SELECT product_rank FROM "{p}jssync_asin_family" WHERE asin = %s', (SHARED[1],)) == 77


def test_master_and_manual_syncs_share_too(migrated, staging, sandbox):
    seed(staging, [*SHARED, *STANDALONE])
    cfg = sharing(migrated, audit=0)
    assert run_manual(cfg, "product", "us").successful_product_sync == 5 and sales_calls(sandbox) == []
    # A sales-only sync groups the variations by the product data staging holds.
    manual = run_manual(cfg, "sales", "us").as_dict()
    assert len(sales_calls(sandbox)) == 1 + 2 and manual["sales_shared_asins"] == 2
    sandbox.reset()
    master = run_master(cfg, "us", mode="fresh", date_range="1month").as_master_dict()
    assert len(sales_calls(sandbox)) == 1 + 2 and master["sales_shared_asins"] == 2
    assert master["processed_asins"] == 5 and master["failed_asins"] == 0


def test_the_report_shows_the_shared_asins_and_the_audit():
    status = SyncStatus(kind="hourly", run_id="r", started_at=utcnow(), completed_at=utcnow())
    assert not {"Shared sales", "Family audit"} & {f["name"] for f in build_payload(status)["embeds"][0]["fields"]}
    add_tally(status, FamilyTally(shared=40, checked=2))
    add_tally(status, FamilyTally(shared=10, checked=1, mismatched=1, demoted_groups=1))
    assert (status.sales_shared_asins, status.family_audit) == (
        50,
        {"checked": 3, "mismatched": 1, "demoted_groups": 1},
    )
    embed = build_payload(status)["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Shared sales"] == "50 ASINs"
    assert fields["Family audit"] == "3 checked, 1 mismatched, 1 group demoted"
    # A mismatch is the owner's news that the sharing does not hold there: the report is yellow.
    assert status.warnings == [
        "family audit: 1 of 3 shared ASINs checked sold differently from their group; the members of 1 group "
        "now get a sales call each"
    ]
    assert embed["color"] == YELLOW


def test_an_audit_of_a_copied_history_demotes_and_the_members_outside_the_batch_follow(
    migrated, staging, production, sandbox
):
    seed(staging, LYING)
    run_hourly(sharing(migrated, audit=0), "us")  # unaudited: two members hold copies
    assert len(provenance(staging)) == 2
    sandbox.reset()
    newcomer = "B0FLLIE104"
    seed(staging, [newcomer])
    status = run_hourly(sharing(migrated, audit=100), "us").as_dict()
    # The newcomer would copy the group's history; audited on its own, it differs: demoted.
    assert sales_calls(sandbox) == [newcomer]
    assert status["family_audit"] == {"checked": 1, "mismatched": 1, "demoted_groups": 1}
    # The members holding copies were not in the batch: they are sales gaps now, due from their first shared day.
    gaps = [a for a in LYING if a in provenance(staging)]
    for asin in gaps:
        assert sync_status(staging, asin)["sales_estimate_data_synced_at"].date() == provenance(staging)[asin][0][0]
    sandbox.reset()
    later = run_hourly(sharing(migrated, audit=100), "us").as_dict()
    assert sorted(sales_calls(sandbox)) == sorted(gaps) and later["sales_gap_asins_synced"] == 2
    assert provenance(staging) == {}
    everyone = [*LYING, newcomer]
    exact = sales(staging, everyone)
    forget_syncs(staging, production)
    run_hourly(migrated, "us")
    assert sales(staging, everyone) == exact  # as per-ASIN calls give them
