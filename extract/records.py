"""API records -> typed rows that fit the target tables, or a clear error that names the field.

The column types mirror sql/migrations/0002_data_tables.sql (a test compares them), so a value
that PostgreSQL would refuse is caught here, for one ASIN, instead of failing a whole merge.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal, InvalidOperation

from extract import settings

INT32 = (-(2**31), 2**31 - 1)

# column -> (kind, size): text, varchar(size), decimal(precision, scale), int, bool, date, ts, json
PRODUCT_COLUMNS: dict[str, tuple[str, tuple[int, ...]]] = {
    "id": ("varchar", (50,)),
    "title": ("text", ()),
    "price": ("decimal", (10, 2)),
    "reviews": ("int", ()),
    "category": ("text", ()),
    "rating": ("decimal", (3, 2)),
    "image_url": ("text", ()),
    "parent_asin": ("varchar", (20,)),
    "is_variant": ("bool", ()),
    "seller_type": ("varchar", (50,)),
    "variants": ("json", ()),
    "breadcrumb_path": ("text", ()),
    "is_standalone": ("bool", ()),
    "is_parent": ("bool", ()),
    "is_available": ("bool", ()),
    "brand": ("varchar", (255,)),
    "product_rank": ("int", ()),
    "weight_value": ("decimal", (10, 2)),
    "weight_unit": ("varchar", (20,)),
    "length_value": ("decimal", (10, 2)),
    "width_value": ("decimal", (10, 2)),
    "height_value": ("decimal", (10, 2)),
    "dimensions_unit": ("varchar", (20,)),
    "listing_quality_score": ("int", ()),
    "number_of_sellers": ("int", ()),
    "buy_box_owner": ("varchar", (255,)),
    "buy_box_owner_seller_id": ("varchar", (50,)),
    "date_first_available": ("date", ()),
    "date_first_available_is_estimated": ("bool", ()),
    "approximate_30_day_revenue": ("decimal", (15, 2)),
    "approximate_30_day_units_sold": ("int", ()),
    "subcategory_ranks": ("json", ()),
    "fee_breakdown": ("json", ()),
    "ean_list": ("json", ()),
    "isbn_list": ("json", ()),
    "upc_list": ("json", ()),
    "gtin_list": ("json", ()),
    "variant_reviews": ("int", ()),
    "updated_at": ("ts", ()),
}

SALES_COLUMNS: dict[str, tuple[str, tuple[int, ...]]] = {
    "is_parent": ("bool", ()),
    "is_variant": ("bool", ()),
    "is_standalone": ("bool", ()),
    "parent_asin": ("varchar", (20,)),
    "estimated_units_sold": ("int", ()),
    "last_known_price": ("decimal", (10, 2)),
}


class RecordError(ValueError):
    """An API record that does not fit the tables; the message names the ASIN and field."""


def _convert(name: str, value: object, kind: str, size: tuple[int, ...]) -> object:
    """`value` as the column `name` of `kind` stores it, or a RecordError naming the field.

    Anything the API can send must end here as a value or a RecordError: an exception that
    escapes would fail the whole batch (and the same ASIN would come first again next hour)."""
    try:
        return _convert_value(name, value, kind, size)
    except RecordError:
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:  # OverflowError is an ArithmeticError
        raise RecordError(f"{name} cannot be stored ({type(exc).__name__}: {exc}), got {_short(value)}") from exc


def _short(value: object) -> str:
    try:
        return f"{value!r:.40}"
    except (ValueError, TypeError, RecursionError):
        return f"a {type(value).__name__}"


def _convert_value(name: str, value: object, kind: str, size: tuple[int, ...]) -> object:
    if value is None:
        return None
    if kind in ("text", "varchar"):
        if isinstance(value, (dict, list, bool)):
            raise RecordError(f"{name} should be a string, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise RecordError(f"{name} should be a string, got {value!r}")
        text = str(value).replace("\x00", "")
        if kind == "varchar" and len(text) > size[0]:
            raise RecordError(f"{name} is {len(text)} characters long; the column holds {size[0]}")
        return text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise RecordError(f"{name} should be true or false, got {_short(value)}")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RecordError(f"{name} should be a whole number, got {_short(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise RecordError(f"{name} should be a finite whole number, got {value!r}")
        if value != int(value):
            raise RecordError(f"{name} should be a whole number, got {_short(value)}")
        if not INT32[0] <= int(value) <= INT32[1]:
            raise RecordError(f"{name}={_short(value)} is outside the INTEGER range")
        return int(value)
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise RecordError(f"{name} should be a number, got {_short(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise RecordError(f"{name} should be a finite number, got {value!r}")
        try:
            number = Decimal(str(value)).quantize(Decimal(1).scaleb(-size[1]))
        except InvalidOperation as exc:
            raise RecordError(f"{name} should be a number, got {_short(value)}") from exc
        if not number.is_finite() or abs(number) >= Decimal(10) ** (size[0] - size[1]):
            raise RecordError(f"{name}={_short(value)} does not fit DECIMAL({size[0]},{size[1]})")
        return float(number)
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError as exc:
            raise RecordError(f"{name} should be a date (YYYY-MM-DD), got {_short(value)}") from exc
    if kind == "ts":
        try:
            stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise RecordError(f"{name} should be a timestamp, got {_short(value)}") from exc
        if stamp.tzinfo is not None:
            try:
                stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError as exc:
                raise RecordError(f"{name}={_short(value)} is out of range in UTC") from exc
        return stamp
    if kind == "json":
        try:
            return json.dumps(value, separators=(",", ":"), allow_nan=False)
        except ValueError as exc:
            raise RecordError(f"{name} holds a number JSON cannot store{_where_not_finite(value)}") from exc
    raise AssertionError(f"unknown column kind {kind}")


def _where_not_finite(value: object, path: str = "", depth: int = 0) -> str:
    """' (at <path>: inf)' for the first non-finite float inside `value`, else ''."""
    if depth > 50:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return f" (at {path or 'the top'}: {value!r})"
    if isinstance(value, dict):
        entries = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        entries = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return ""
    for sub_path, sub in entries:
        found = _where_not_finite(sub, sub_path, depth + 1)
        if found:
            return found
    return ""


def product_asin(item: object) -> str:
    """The ASIN of a product result: the part of `id` after the `/`."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or "/" not in item["id"]:
        raise RecordError(f"product result without an id of the form marketplace/ASIN: {str(item)[:80]}")
    return item["id"].split("/", 1)[1]


def product_row(item: dict, marketplace: str, report_date: dt.date) -> dict:
    """One landing row for a product result: every column of the product table, typed."""
    asin = product_asin(item)
    attributes = item.get("attributes")
    if not isinstance(attributes, dict):
        raise RecordError(f"product {asin}: `attributes` is not an object")
    row: dict[str, object] = {"asin": asin, "marketplace": marketplace, "report_date": report_date}
    for name, (kind, size) in PRODUCT_COLUMNS.items():
        value = item.get("id") if name == "id" else attributes.get(name)
        try:
            row[name] = _convert(name, value, kind, size)
        except RecordError as exc:
            raise RecordError(f"product {asin}: {exc}") from exc
    try:
        row["raw"] = _convert("raw", item, "json", ())
    except RecordError as exc:  # a value in an attribute no column holds, e.g. "foo": 1e400
        raise RecordError(f"product {asin}: {exc}") from exc
    return row


def sales_rows(asin: str, marketplace: str, items: list[dict], start: dt.date, end: dt.date) -> list[dict]:
    """Daily sales rows for one ASIN, restricted to [start, end]; the last point of a day wins."""
    rows: dict[dt.date, dict] = {}
    for item in items:
        attributes = item.get("attributes") if isinstance(item, dict) else None
        if not isinstance(attributes, dict):
            raise RecordError(f"sales for {asin}: an item without `attributes`")
        item_asin = attributes.get("asin") or asin
        if item_asin != asin:
            continue  # the API answered for another ASIN (a parent or variant): not ours
        points = attributes.get("data") or []
        if not isinstance(points, list):
            raise RecordError(f"sales for {asin}: `data` is not a list")
        shared = {}
        for name in ("is_parent", "is_variant", "is_standalone", "parent_asin"):
            kind, size = SALES_COLUMNS[name]
            try:
                shared[name] = _convert(name, attributes.get(name), kind, size)
            except RecordError as exc:
                raise RecordError(f"sales for {asin}: {exc}") from exc
        for point in points:
            if not isinstance(point, dict):
                raise RecordError(f"sales for {asin}: a data point is not an object")
            try:
                day = _convert("date", point.get("date"), "date", ())
                if day is None:
                    raise RecordError("a data point has no date")
                units = _convert("estimated_units_sold", point.get("estimated_units_sold"), "int", ())
                price = _convert("last_known_price", point.get("last_known_price"), "decimal", (10, 2))
            except RecordError as exc:
                raise RecordError(f"sales for {asin}: {exc}") from exc
            if not start <= day <= end:
                continue
            rows[day] = {
                "asin": asin,
                "marketplace": marketplace,
                "date": day,
                "estimated_units_sold": units,
                "last_known_price": price,
                **shared,
            }
    return [rows[d] for d in sorted(rows)]


def valid_asin(asin: str) -> bool:
    """True when `asin` has the shape the API accepts."""
    return bool(settings.ASIN_PATTERN.match(asin or ""))
