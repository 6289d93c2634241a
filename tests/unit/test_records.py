"""API records -> typed rows: values that would break a merge are refused for one ASIN, by name."""

from __future__ import annotations

import datetime as dt

import pytest

from extract.fetch import sales_range
from extract.records import RecordError, product_row, sales_rows

DAY = dt.date(2026, 11, 29)


def item(**attributes):
    return {"id": "us/B0REC00001", "type": "product_database_result", "attributes": attributes}


def test_missing_and_null_attributes_become_null():
    row = product_row(item(title="T", price=None), "us", DAY)
    assert row["asin"] == "B0REC00001" and row["title"] == "T" and row["price"] is None
    assert row["brand"] is None and row["report_date"] == DAY


@pytest.mark.parametrize(("attributes", "message"), [
    ({"price": 123456789.0}, "price"),
    ({"rating": 12.5}, "rating"),
    ({"reviews": 2**40}, "reviews"),
    ({"reviews": "many"}, "reviews"),
    ({"brand": "x" * 300}, "brand is 300 characters"),
    ({"is_variant": "yes"}, "is_variant"),
    ({"date_first_available": "someday"}, "date_first_available"),
    ({"updated_at": "later"}, "updated_at"),
])
def test_values_that_do_not_fit_are_refused(attributes, message):
    with pytest.raises(RecordError, match=message) as err:
        product_row(item(**attributes), "us", DAY)
    assert "B0REC00001" in str(err.value)


def test_json_and_timestamps_are_normalised():
    row = product_row(item(variants=["B0V"], fee_breakdown={"fba_fee": 1.5},
                           updated_at="2026-11-01T12:00:00.000Z"), "us", DAY)
    assert row["variants"] == '["B0V"]' and row["fee_breakdown"] == '{"fba_fee":1.5}'
    assert row["updated_at"] == dt.datetime(2026, 11, 1, 12, 0)


def test_sales_rows_keep_the_range_and_this_asin():
    items = [{"attributes": {"asin": "B0REC00001", "is_parent": False, "data": [
        {"date": "2026-11-26", "estimated_units_sold": 1, "last_known_price": 2.5},
        {"date": "2026-11-27", "estimated_units_sold": 3, "last_known_price": None},
        {"date": "2026-11-29", "estimated_units_sold": 9, "last_known_price": None}]}},
        {"attributes": {"asin": "B0OTHER001", "data": [{"date": "2026-11-27", "estimated_units_sold": 5}]}}]
    rows = sales_rows("B0REC00001", "us", items, dt.date(2026, 11, 27), dt.date(2026, 11, 28))
    assert [(r["date"], r["estimated_units_sold"]) for r in rows] == [(dt.date(2026, 11, 27), 3)]


def test_sales_ranges():
    assert sales_range(None, DAY) == (dt.date(2025, 11, 28), dt.date(2026, 11, 28))
    assert sales_range(None, DAY, "1month") == (dt.date(2026, 10, 28), dt.date(2026, 11, 28))
    assert sales_range(dt.datetime(2026, 11, 20, 5), DAY) == (dt.date(2026, 11, 20), dt.date(2026, 11, 28))
    assert sales_range(dt.datetime(2026, 11, 28, 23), DAY) == (dt.date(2026, 11, 28), dt.date(2026, 11, 28))
    assert sales_range(dt.datetime(2026, 11, 29, 1), DAY) is None  # already current
    assert sales_range(None, dt.date(2024, 3, 1)) == (dt.date(2023, 2, 28), dt.date(2024, 2, 29))
