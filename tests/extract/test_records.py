"""API records -> typed rows: values that would break a merge are refused for one ASIN, by name."""

from __future__ import annotations

import datetime as dt

import pytest

from extract import fetch as fetch_mod
from extract.client import SalesAnswer
from extract.fetch import AsinWork, BatchFetcher, sales_range
from extract.records import RecordError, product_row, sales_rows

DAY = dt.date(2026, 11, 29)


def item(**attributes):
    return {"id": "us/B0REC00001", "type": "product_database_result", "attributes": attributes}


def test_missing_and_null_attributes_become_null():
    row = product_row(item(title="T", price=None), "us", DAY)
    assert row["asin"] == "B0REC00001" and row["title"] == "T" and row["price"] is None
    assert row["brand"] is None and row["report_date"] == DAY


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"price": 123456789.0}, "price"),
        ({"rating": 12.5}, "rating"),
        ({"reviews": 2**40}, "reviews"),
        ({"reviews": "many"}, "reviews"),
        ({"brand": "x" * 300}, "brand is 300 characters"),
        ({"is_variant": "yes"}, "is_variant"),
        ({"date_first_available": "someday"}, "date_first_available"),
        ({"updated_at": "later"}, "updated_at"),
    ],
)
def test_values_that_do_not_fit_are_refused(attributes, message):
    with pytest.raises(RecordError, match=message) as err:
        product_row(item(**attributes), "us", DAY)
    assert "B0REC00001" in str(err.value)


def test_json_and_timestamps_are_normalised():
    row = product_row(
        item(variants=["B0V"], fee_breakdown={"fba_fee": 1.5}, updated_at="2026-11-01T12:00:00.000Z"), "us", DAY
    )
    assert row["variants"] == '["B0V"]' and row["fee_breakdown"] == '{"fba_fee":1.5}'
    assert row["updated_at"] == dt.datetime(2026, 11, 1, 12, 0)


def test_sales_rows_keep_the_range_and_this_asin():
    items = [
        {
            "attributes": {
                "asin": "B0REC00001",
                "is_parent": False,
                "data": [
                    {"date": "2026-11-26", "estimated_units_sold": 1, "last_known_price": 2.5},
                    {"date": "2026-11-27", "estimated_units_sold": 3, "last_known_price": None},
                    {"date": "2026-11-29", "estimated_units_sold": 9, "last_known_price": None},
                ],
            }
        },
        {"attributes": {"asin": "B0OTHER001", "data": [{"date": "2026-11-27", "estimated_units_sold": 5}]}},
    ]
    rows = sales_rows("B0REC00001", "us", items, dt.date(2026, 11, 27), dt.date(2026, 11, 28))
    assert [(r["date"], r["estimated_units_sold"]) for r in rows] == [(dt.date(2026, 11, 27), 3)]


def test_sales_ranges():
    assert sales_range(None, DAY) == (dt.date(2025, 11, 28), dt.date(2026, 11, 28))
    assert sales_range(None, DAY, "1month") == (dt.date(2026, 10, 28), dt.date(2026, 11, 28))
    assert sales_range(dt.datetime(2026, 11, 20, 5), DAY) == (dt.date(2026, 11, 20), dt.date(2026, 11, 28))
    assert sales_range(dt.datetime(2026, 11, 28, 23), DAY) == (dt.date(2026, 11, 28), dt.date(2026, 11, 28))
    assert sales_range(dt.datetime(2026, 11, 29, 1), DAY) is None  # already current
    assert sales_range(None, dt.date(2024, 3, 1)) == (dt.date(2023, 2, 28), dt.date(2024, 2, 29))


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"reviews": INF}, "reviews should be a finite whole number"),
        ({"reviews": -INF}, "reviews"),
        ({"reviews": NAN}, "reviews"),
        ({"approximate_30_day_units_sold": INF}, "approximate_30_day_units_sold"),
        ({"price": INF}, "price"),
        ({"rating": NAN}, "rating"),
        ({"title": INF}, "title"),
        ({"updated_at": "0001-01-01T00:00:00+01:00"}, "updated_at"),  # astimezone overflows
        ({"updated_at": "9999-12-31T23:59:59-01:00"}, "updated_at"),
        ({"fee_breakdown": {"fba_fee": INF}}, r"fee_breakdown holds .*at fba_fee: inf"),
        ({"ean_list": [1, NAN]}, r"ean_list holds .*at \[1\]: nan"),
        ({"something_new": INF}, r"raw .*attributes\.something_new"),  # no column: caught in `raw`
    ],
)
def test_non_finite_and_overflowing_values_are_record_errors(attributes, message):
    with pytest.raises(RecordError, match=message) as err:
        product_row(item(**attributes), "us", DAY)
    assert "B0REC00001" in str(err.value)


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"estimated_units_sold": INF}, "estimated_units_sold"),
        ({"estimated_units_sold": NAN}, "estimated_units_sold"),
        ({"estimated_units_sold": 1, "last_known_price": NAN}, "last_known_price"),
        ({"estimated_units_sold": 1, "last_known_price": -INF}, "last_known_price"),
    ],
)
def test_non_finite_sales_values_are_record_errors(point, message):
    items = [{"attributes": {"asin": "B0REC00001", "data": [{"date": "2026-11-27", **point}]}}]
    with pytest.raises(RecordError, match=message) as err:
        sales_rows("B0REC00001", "us", items, dt.date(2026, 11, 27), dt.date(2026, 11, 28))
    assert "B0REC00001" in str(err.value)


# -- BatchFetcher: one bad record fails its own ASIN only, whatever the exception

GOOD = ["B0FGOOD001", "B0FGOOD002", "B0FGOOD003"]


class FakeClient:
    """Answers like the API, without HTTP: every ASIN asked for is found, one sales point each."""

    def __init__(self, bad_products: dict[str, dict] | None = None):
        self.bad_products = bad_products or {}
        self.sales_asked: list[str] = []

    def product_pages(self, asins, marketplace):
        yield [{"id": f"{marketplace}/{a}", "attributes": {"title": a, **self.bad_products.get(a, {})}} for a in asins]

    def sales_estimates(self, asin, marketplace, start, end):
        self.sales_asked.append(asin)
        return SalesAnswer(
            items=[
                {
                    "attributes": {
                        "asin": asin,
                        "data": [{"date": start.isoformat(), "estimated_units_sold": 1, "last_known_price": None}],
                    }
                }
            ]
        )

    def close(self):
        """The fetcher closes the client's HTTP sessions after its sales pool; there are none."""


def fetch_all(client, asins, **kw):
    fetcher = BatchFetcher(client, "us", DAY, **kw)
    rows = list(fetcher.run([AsinWork(a) for a in asins]))
    return fetcher.outcomes, rows


def test_bad_product_record_fails_that_asin_only():
    client = FakeClient({"B0FBAD0001": {"reviews": INF}})
    outcomes, rows = fetch_all(client, [*GOOD, "B0FBAD0001"])
    bad = outcomes["B0FBAD0001"]
    assert (bad.product_status, bad.error_category) == ("invalid", "parse") and "reviews" in bad.error
    assert all(outcomes[a].product_status == "found" and outcomes[a].sales_status == "synced" for a in GOOD)
    assert sorted(r["asin"] for t, r in rows if t == "products") == GOOD
    assert "B0FBAD0001" not in client.sales_asked


def test_any_exception_converting_one_record_is_a_parse_error_of_that_asin(monkeypatch):
    real_product_row, real_sales_rows = fetch_mod.product_row, fetch_mod.sales_rows

    def product_row_failing(item, *args):
        if item["id"].endswith("B0FBAD0001"):
            raise KeyError("surprise")
        return real_product_row(item, *args)

    def sales_rows_failing(asin, *args):
        if asin == "B0FBAD0002":
            raise ZeroDivisionError("surprise")
        return real_sales_rows(asin, *args)

    monkeypatch.setattr(fetch_mod, "product_row", product_row_failing)
    monkeypatch.setattr(fetch_mod, "sales_rows", sales_rows_failing)
    outcomes, rows = fetch_all(FakeClient(), [*GOOD, "B0FBAD0001", "B0FBAD0002"])
    product_bad, sales_bad = outcomes["B0FBAD0001"], outcomes["B0FBAD0002"]
    assert (product_bad.product_status, product_bad.error_category) == ("invalid", "parse")
    assert "B0FBAD0001" in product_bad.error and "KeyError" in product_bad.error
    assert (sales_bad.product_status, sales_bad.sales_status) == ("found", "failed")
    assert sales_bad.error_category == "parse" and "ZeroDivisionError" in sales_bad.error
    assert all(outcomes[a].sales_status == "synced" and outcomes[a].error is None for a in GOOD)
    assert sorted(r["asin"] for t, r in rows if t == "sales_estimates") == GOOD


def test_sales_of_every_asin_are_fetched_with_few_workers():
    asins = [f"B0FMANY{i:03d}" for i in range(9)]
    client = FakeClient()
    outcomes, rows = fetch_all(client, asins, max_concurrency=2)
    assert sorted(client.sales_asked) == asins
    assert all(o.sales_status == "synced" for o in outcomes.values())
    assert sum(t == "sales_estimates" for t, _ in rows) == 9
    assert [r["asin"] for t, r in rows if t == "asin_outcomes"] == asins
