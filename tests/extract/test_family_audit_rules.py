"""extract.families' pure parts: the audit's day-by-day comparison, its share, provenance ranges."""

from __future__ import annotations

import datetime as dt

from extract.families import Identity, audit_count, compare, provenance_ranges

D = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(10)]


def test_compare_counts_days_that_differ_within_the_groups_span():
    group = {d: 5 for d in D[2:8]}
    assert compare(dict(group), group, D[0], D[9]) == (6, 0, None)
    own = {**group, D[4]: 6, D[9]: 1}  # D[9] lies past the group's series: not compared
    assert compare(own, group, D[0], D[9]) == (6, 1, D[4])
    missing = {d: v for d, v in group.items() if d != D[3]}
    assert compare(missing, group, D[0], D[9]) == (6, 1, D[3])  # a day on one side only differs
    assert compare({D[5]: None}, {D[5]: 0}, D[0], D[9]) == (1, 1, D[5])
    assert compare({D[1]: 3}, {}, D[0], D[9]) == (1, 1, D[1])  # nothing to share: every own day differs


def test_audit_count_rounds_up_and_takes_at_least_one():
    assert [audit_count(2, n) for n in (0, 1, 49, 50, 51, 1000)] == [0, 1, 1, 1, 2, 20]
    assert audit_count(0, 500) == 0 and audit_count(100, 7) == 7 and audit_count(50, 3) == 2


def test_provenance_ranges_run_per_source():
    days = [(D[0], "A"), (D[1], "A"), (D[2], "B"), (D[3], "A")]
    assert provenance_ranges("M", "us", days) == [
        {"asin": "M", "marketplace": "us", "first_date": D[0], "last_date": D[1], "source_asin": "A"},
        {"asin": "M", "marketplace": "us", "first_date": D[2], "last_date": D[2], "source_asin": "B"},
        {"asin": "M", "marketplace": "us", "first_date": D[3], "last_date": D[3], "source_asin": "A"},
    ]
    assert provenance_ranges("M", "us", []) == []


def test_a_group_needs_a_parent_and_a_rank():
    assert Identity("B0PARENT01", 5).key == ("B0PARENT01", 5)
    assert Identity(None, 5).key is None and Identity("B0PARENT01", None).key is None
