"""Stand-in Jungle Scout API server for the demo, tests and benchmarks (never imported by production).

Serves ``POST /api/product_database_query`` and ``GET /api/sales_estimates_query`` over real HTTP with
deterministic data, the documented rate limits and run-time switchable faults (see ``Sandbox.set_faults``,
also ``POST /api/_sandbox/faults``, ``POST /api/_sandbox/reset`` and ``GET /api/_sandbox/stats``).

Special ASINs:
- ``B0ZZ...`` or listed in ``Sandbox.unknown_asins``: unknown; absent from product results, sales answer 404.
- ``B0NR...``: product found, but the sales query answers 422 with code ``MISSING_RANK_DATA``.
- ``B0NS...``: product found, sales ``data`` is ``[]`` (no estimates).

Variation families (issue 18): ``B0F`` + kind + a 4-character family code + a 2-digit index, the
index ``00`` being the parent listing and ``01``-``99`` its variations (``family_of``):
- ``B0FS...``: a shared-rank family. Every variation names the parent and the listing's rank, and
  every one of them (the parent too) answers the listing's daily units; each keeps its own price
  (``last_known_price`` is per ASIN, the product price of that ASIN on every day).
- ``B0FO...``: an own-rank family. Each variation has a rank and a sales series of its own.
- ``B0FL...``: a lying family. Its product data claim one shared rank, but each variation sells
  differently (its own series): what the audit must catch.

Faults for bad answers: ``bad_values`` ({asin: {attribute: value}}) overrides product attributes,
``bad_sales_values`` ({asin: {key: value}}) overrides keys of every sales point of an ASIN; non-finite
floats are sent as the raw JSON tokens ``1e400``, ``-1e400`` and ``NaN``. ``endless_pages`` (true) keeps
sending ``links.next`` with empty pages past the last result. ``echo_auth_next`` ({"count": N,
"status": 401}) answers an error whose detail echoes the request's Authorization header.

Faults for a flaky or smaller API: ``fail_asins`` ({asin: status}) fails every sales query of those
ASINs; ``fail_share`` ({"share": 0.25, "status": 503, "seed": 1}) fails that share of the admitted
API calls at random (seeded); ``real_rate`` ({"per_minute": N, "burst": M}) enforces a lower limit
than the server was started with (a key shared with another tool, a smaller plan).

``hold`` (true) keeps every API answer waiting until it is set to false again (or reset): a test
holds a sync mid-run for as long as it needs, with no latency to guess. ``hold_after`` (N) answers
the next N API requests, then holds every later one as ``hold`` does: a sync caught mid-batch, with
exactly N answers in hand.
"""

import base64
import calendar
import datetime
import hashlib
import json
import math
import random
import re
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Set as AbstractSet
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

ASIN_RE = re.compile(r"^(B[0-9A-Z]{9}|[0-9]{9}[0-9X])$")
MARKETPLACES = ("us", "uk", "ca", "de", "fr", "in", "it", "es", "mx", "jp")
ACCEPT = "application/vnd.junglescout.v1+json"
JSONAPI = "application/vnd.api+json"
PATHS = {"/api/product_database_query": "products", "/api/sales_estimates_query": "sales"}
METHODS = {"products": "POST", "sales": "GET"}
FAULT_NAMES = frozenset(
    {
        "latency",
        "fail_next",
        "slow_next",
        "malformed_next",
        "rate_limit_next",
        "fail_asins",
        "unknown_asins",
        "revision",
        "page_size",
        "extra_results",
        "bad_values",
        "bad_sales_values",
        "endless_pages",
        "echo_auth_next",
        "fail_share",
        "real_rate",
        "hold",
        "hold_after",
    }
)
MAX_BODY = 1 << 20
MAX_RANGE_DAYS = 3660  # ten years; guards the sandbox against absurd ranges, not a documented API limit
LOG_SIZE = 20000
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# ---------------------------------------------------------------- deterministic data

_CATEGORIES = {
    "Toys & Games": ["Puzzles", "Building Toys", "Board Games", "Dolls & Accessories"],
    "Home & Kitchen": ["Kitchen Utensils & Gadgets", "Storage & Organization", "Bedding", "Cookware"],
    "Sports & Outdoors": ["Camping & Hiking", "Exercise & Fitness", "Cycling"],
    "Beauty & Personal Care": ["Skin Care", "Hair Care", "Tools & Accessories"],
    "Pet Supplies": ["Dogs", "Cats", "Fish & Aquatic Pets"],
    "Electronics": ["Headphones", "Computer Accessories", "Portable Power Banks"],
    "Books": ["Children's Books", "Cookbooks", "Mystery & Thrillers"],
    "Office Products": ["Office & School Supplies", "Desk Organizers"],
}
_BRANDS = [
    "Acme",
    "Northwind",
    "Bluebird",
    "Kestrel Home",
    "PeakForm",
    "Lumen & Co",
    "Harbor Lane",
    "Tidy Nest",
    "Zestify",
    "Orbit Kids",
    "Pawsome",
    "Everlume",
]
_ADJECTIVES = [
    "Premium",
    "Compact",
    "Deluxe",
    "Eco-Friendly",
    "Portable",
    "Heavy-Duty",
    "Classic",
    "Ultra-Soft",
    "Stackable",
    "Foldable",
]
_SELLERS = ["Amazon.com", "BestDeals LLC", "Prime Goods Co", "Northwind Retail", "Harbor Supply"]
_PRICE_FACTOR = {"jp": 100.0, "in": 50.0, "mx": 18.0}  # local currency, roughly
_ASIN_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_UPDATED_ANCHOR = datetime.datetime(2026, 11, 1)


def _rng(*parts: object) -> random.Random:
    # A str seed is hashed with SHA-512 by random.seed, so results are stable across processes
    # (unlike hash(), which is salted per process).
    return random.Random(":".join(str(p) for p in parts))


def is_known(asin: str, unknown: AbstractSet[str] = frozenset()) -> bool:
    """True when the sandbox has a product for ``asin`` (valid shape, not ``B0ZZ...``, not in ``unknown``)."""
    return bool(ASIN_RE.match(asin)) and not asin.startswith("B0ZZ") and asin not in unknown


def _related_asin(rng: random.Random, letter: str) -> str:
    # "B0P..."/"B0V..." never collide with the special prefixes above.
    return "B0" + letter + "".join(rng.choice(_ASIN_CHARS) for _ in range(7))


def _digits(rng: random.Random, n: int) -> int:
    return rng.randrange(10 ** (n - 1), 10**n)


FAMILY_KINDS = {"S": "shared", "O": "own", "L": "lying"}
_FAMILY_RE = re.compile(r"^B0F([SOL])([0-9A-Z]{4})([0-9]{2})$")


def family_of(asin: str) -> tuple[str, str, int] | None:
    """(kind, parent ASIN, index) of a sandbox family ASIN (kind shared, own or lying; index 0 is
    the parent listing), else None."""
    match = _FAMILY_RE.match(asin)
    if match is None:
        return None
    letter, code, index = match.groups()
    return FAMILY_KINDS[letter], f"B0F{letter}{code}00", int(index)


def family_members(parent: str, revision: int = 0) -> list[str]:
    """The variations a family's parent lists (2 to 5 of them, by the family code)."""
    count = 2 + _rng(parent, "size", revision).randrange(4)
    return [f"{parent[:-2]}{n:02d}" for n in range(1, count + 1)]


def _family_attributes(attrs: dict, asin: str, marketplace: str, revision: int) -> dict:
    kind, parent, index = family_of(asin)
    listing = _rng(parent, marketplace, revision, "listing")
    listing_rank, listing_units = listing.randint(1, 2_000_000), int(math.exp(listing.uniform(2, 9.5)))
    members = family_members(parent, revision)
    own_rank = kind == "own" and index > 0
    out = {
        **attrs,
        "parent_asin": None if index == 0 else parent,
        "is_parent": index == 0,
        "is_variant": index > 0,
        "is_standalone": False,
        "variants": members,
        "product_rank": attrs["product_rank"] if own_rank else listing_rank,
        # The listing's 30-day figure shows on every member that claims the listing's rank (a lying
        # family's members claim it too, and sell as much, but on other days).
        "approximate_30_day_units_sold": attrs["approximate_30_day_units_sold"] if own_rank else listing_units,
    }
    if out["price"] is None:  # family members always carry a price: the tests follow it per member
        out["price"] = round(5.0 + (sum(map(ord, asin)) % 90), 2)
    return out


def product_attributes(asin: str, marketplace: str, revision: int = 0) -> dict:
    """The ``attributes`` object served for ``asin``; deterministic in (asin, marketplace, revision)."""
    attrs = _product_attributes(asin, marketplace, revision)
    return attrs if family_of(asin) is None else _family_attributes(attrs, asin, marketplace, revision)


def _product_attributes(asin: str, marketplace: str, revision: int = 0) -> dict:
    rng = _rng(asin, marketplace, revision)
    kind = rng.random()
    is_variant, is_parent = 0.55 <= kind < 0.85, kind >= 0.85
    parent_asin = _related_asin(rng, "P") if is_variant else None
    if is_parent:
        variants = [_related_asin(rng, "V") for _ in range(rng.randint(2, 8))]
    elif is_variant:
        variants = [_related_asin(rng, "V") for _ in range(rng.randint(1, 5))]
    else:
        variants = []
    category = rng.choice(list(_CATEGORIES))
    subs = rng.sample(_CATEGORIES[category], rng.randint(0, min(3, len(_CATEGORIES[category]))))
    brand = rng.choice(_BRANDS)
    noun = subs[0] if subs else category
    title = f"{brand} {rng.choice(_ADJECTIVES)} {noun} - {rng.choice(['Pack of 2', 'Large', 'Blue', 'Set'])}"
    base = math.exp(rng.uniform(math.log(4.0), math.log(200.0)))
    price: float | None = round(
        min(9999.99, int(base * _PRICE_FACTOR.get(marketplace, 1.0)) + rng.choice([0.99, 0.49, 0.95, 0.0])), 2
    )
    if rng.random() < 0.03:
        price = None
    reviews = 0 if rng.random() < 0.05 else int(math.exp(rng.uniform(0, 11)))
    rating = None if reviews == 0 else round(min(5.0, max(1.0, rng.gauss(4.3, 0.4))), 2)
    units_30 = int(math.exp(rng.uniform(0, 9.5)))
    imperial = marketplace in ("us", "uk", "ca")
    has_buy_box = rng.random() >= 0.2
    seller = rng.choice(_SELLERS)
    first = datetime.date(2012, 1, 1) + datetime.timedelta(days=rng.randint(0, 5000))
    updated = _UPDATED_ANCHOR - datetime.timedelta(seconds=rng.randint(0, 30 * 86400))
    fba_fee = round(rng.uniform(2.5, 12.0), 2)
    closing = 1.8 if category == "Books" else 0.0
    fees = None
    if price is not None:
        referral = round(price * 0.15, 2)
        fees = {
            "fba_fee": fba_fee,
            "referral_fee": referral,
            "variable_closing_fee": closing,
            "total_fees": round(fba_fee + referral + closing, 2),
        }
    return {
        "title": title,
        "price": price,
        "reviews": reviews,
        "category": category,
        "rating": rating,
        "image_url": None
        if rng.random() < 0.05
        else f"https://m.media-amazon.com/images/I/{''.join(rng.choice(_ASIN_CHARS) for _ in range(11))}.jpg",
        "parent_asin": parent_asin,
        "is_variant": is_variant,
        "seller_type": rng.choice(["FBA", "FBM", "AMZ"]),
        "variants": variants,
        "breadcrumb_path": " > ".join([category, *subs]),
        "is_standalone": not (is_variant or is_parent),
        "is_parent": is_parent,
        "is_available": rng.random() >= 0.08,
        "brand": brand,
        "product_rank": rng.randint(1, 2_000_000),
        "weight_value": round(rng.uniform(0.05, 40.0), 2),
        "weight_unit": "pounds" if imperial else "kilograms",
        "length_value": round(rng.uniform(1.0, 30.0), 2),
        "width_value": round(rng.uniform(0.5, 20.0), 2),
        "height_value": round(rng.uniform(0.2, 15.0), 2),
        "dimensions_unit": "inches" if imperial else "centimeters",
        "listing_quality_score": None if rng.random() < 0.1 else rng.randint(1, 10),
        "number_of_sellers": rng.randint(1, 40),
        "buy_box_owner": seller if has_buy_box else None,
        "buy_box_owner_seller_id": "A" + "".join(rng.choice(_ASIN_CHARS) for _ in range(13)) if has_buy_box else None,
        "date_first_available": None if rng.random() < 0.03 else first.isoformat(),
        "date_first_available_is_estimated": rng.random() < 0.2,
        "approximate_30_day_revenue": None if price is None else round(units_30 * price, 2),
        "approximate_30_day_units_sold": units_30,
        "subcategory_ranks": [{"subcategory": s, "rank": rng.randint(1, 50_000)} for s in subs],
        "fee_breakdown": fees,
        "ean_list": [_digits(rng, 13) for _ in range(rng.randint(0, 2))],
        "isbn_list": [str(_digits(rng, 13))] if category == "Books" else [],
        "upc_list": [_digits(rng, 12) for _ in range(rng.randint(0, 2))],
        "gtin_list": [_digits(rng, 14)] if rng.random() < 0.2 else [],
        "variant_reviews": rng.randint(0, reviews) if variants else None,
        "updated_at": updated.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }


def _month_points(
    asin: str, marketplace: str, revision: int, year: int, month: int, daily: float, price: float | None
) -> list[dict]:
    # One generator per calendar month: overlapping windows agree on every shared day, and a year of
    # points costs 13 seedings instead of 366.
    rng = _rng(asin, marketplace, revision, f"{year:04d}-{month:02d}")
    points = []
    for d in range(1, calendar.monthrange(year, month)[1] + 1):
        day = datetime.date(year, month, d)
        # Draw the same values every day whatever the branches, so the sequence stays aligned.
        zero, noise, priced, drift = (
            rng.random() < 0.03,
            rng.lognormvariate(0, 0.35),
            rng.random() >= 0.1,
            rng.uniform(-0.08, 0.05),
        )
        weekly = 1.15 if day.weekday() >= 5 else 0.95
        points.append(
            {
                "date": day.isoformat(),
                "estimated_units_sold": 0 if zero else int(round(daily * weekly * noise)),
                "last_known_price": round(min(9999.99, price * (1 + drift)), 2)
                if priced and price is not None
                else None,
            }
        )
    return points


def sales_points(
    asin: str, marketplace: str, start: datetime.date, end: datetime.date, revision: int = 0
) -> list[dict]:
    """Daily estimates from ``start`` to ``end`` inclusive; each day's value is independent of the range.

    A member of a shared-rank family (and any family's parent) answers the listing's units with its
    own price on every day; own-rank and lying families' variations answer their own series."""
    attrs = product_attributes(asin, marketplace, revision)
    family = family_of(asin)
    listing = family is not None and (family[0] == "shared" or family[2] == 0)
    series = family[1] if listing else asin
    daily = max(0.2, attrs["approximate_30_day_units_sold"] / 30.0)
    points: list[dict] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        points += _month_points(series, marketplace, revision, year, month, daily, attrs["price"])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    first, last = start.isoformat(), end.isoformat()
    points = [p for p in points if first <= p["date"] <= last]
    if listing:
        points = [{**p, "last_known_price": attrs["price"]} for p in points]
    return points


# ---------------------------------------------------------------- errors and rate limits


class _ApiError(Exception):
    def __init__(
        self, status: int, detail: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}
        try:
            known = HTTPStatus(status)
            self.title, self.code = known.phrase, code or known.name
        except ValueError:  # e.g. an injected 499
            self.title, self.code = "Error", code or "ERROR"

    def body(self) -> dict:
        return {"errors": [{"title": self.title, "detail": self.detail, "code": self.code, "status": str(self.status)}]}


def _too_many(wait: float, retry_after: int) -> _ApiError:
    at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=wait)
    if at.microsecond:  # round up: the earliest whole second at which a retry is allowed
        at = at.replace(microsecond=0) + datetime.timedelta(seconds=1)
    return _ApiError(
        429,
        f"Rate limit exceeded, retry again at {at:%Y-%m-%dT%H:%M:%SZ}",
        "RATE_LIMIT_EXCEEDED",
        {"Retry-After": str(retry_after)},
    )


class _Window:
    __slots__ = ("tokens", "updated", "second", "minute")

    def __init__(self, tokens: float, now: float) -> None:
        self.tokens, self.updated = tokens, now
        self.second: deque[float] = deque()
        self.minute: deque[float] = deque()


class _RateLimiter:
    """Token bucket plus 1 s and 60 s sliding windows, per key; callers hold the sandbox lock."""

    def __init__(self, rate_per_minute: int | None, burst_per_second: int | None) -> None:
        self.rate, self.burst = rate_per_minute or 0, burst_per_second or 0
        self._keys: dict[str, _Window] = {}

    def check(self, key: str, now: float) -> float | None:
        """None when allowed (and recorded), else seconds until it would be allowed."""
        w = self._keys.get(key)
        if w is None:
            w = self._keys[key] = _Window(float(self.burst), now)
        bucket = bool(self.rate and self.burst)
        if bucket:
            w.tokens = min(float(self.burst), w.tokens + (now - w.updated) * self.rate / 60.0)
        w.updated = now
        while w.second and w.second[0] <= now - 1.0:
            w.second.popleft()
        while w.minute and w.minute[0] <= now - 60.0:
            w.minute.popleft()
        waits = []
        if bucket and w.tokens < 1.0:
            waits.append((1.0 - w.tokens) * 60.0 / self.rate)
        # Only allowed requests are appended, so a full window holds exactly `limit` entries.
        if self.burst and len(w.second) >= self.burst:
            waits.append(w.second[-self.burst] + 1.0 - now)
        if self.rate and len(w.minute) >= self.rate:
            waits.append(w.minute[-self.rate] + 60.0 - now)
        if waits:
            return max(max(waits), 1e-6)
        if bucket:
            w.tokens -= 1.0
        if self.burst:
            w.second.append(now)
        if self.rate:
            w.minute.append(now)
        return None


# ---------------------------------------------------------------- faults


def _number(name: str, value: Any, default: float | None = None) -> float:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def _status(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
        raise ValueError(f"{name} must be an HTTP error status 400-599, got {value!r}")
    return value


def _counted(name: str, value: Any, **defaults: Any) -> dict | None:
    """Validate a {"count": N, ...} fault; None or count 0 clears it."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object like {{'count': 1}}")
    extra = set(value) - {"count", "endpoint", *defaults}
    if extra:
        raise ValueError(f"{name}: unknown keys {sorted(extra)}")
    count = value.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"{name}.count must be an int >= 0, got {count!r}")
    endpoint = value.get("endpoint")
    if endpoint not in (None, "products", "sales"):
        raise ValueError(f"{name}.endpoint must be 'products', 'sales' or null, got {endpoint!r}")
    out = {"count": count, "endpoint": endpoint}
    for key, default in defaults.items():
        raw = value.get(key, default)
        if raw is None:
            raise ValueError(f"{name}.{key} is required")
        out[key] = _status(f"{name}.{key}", raw) if key == "status" else _number(f"{name}.{key}", raw)
    return out if count else None


def _parse_fault(name: str, value: Any) -> Any:
    if name == "latency":
        return _number(name, value, 0.0)
    if name == "fail_next":
        return _counted(name, value, status=503)
    if name == "slow_next":
        return _counted(name, value, seconds=None)
    if name == "malformed_next":
        return _counted(name, value)
    if name == "rate_limit_next":
        fault = _counted(name, value, retry_after=1)
        if fault:
            fault["retry_after"] = math.ceil(fault["retry_after"])
        return fault
    if name == "echo_auth_next":
        return _counted(name, value, status=401)
    if name in ("bad_values", "bad_sales_values"):  # {asin: {key: any JSON value}}
        if not isinstance(value, dict | None) or not all(isinstance(v, dict) for v in (value or {}).values()):
            raise ValueError(f"{name} must be an object {{asin: {{key: value}}}}")
        return {str(a): {str(k): v for k, v in kv.items()} for a, kv in (value or {}).items()}
    if name == "hold_after":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"hold_after must be an int >= 0 (answers before the hold) or null, got {value!r}")
        return value
    if name in ("endless_pages", "hold"):
        if not isinstance(value, bool | None):
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return bool(value)
    if name == "fail_share":
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) - {"share", "status", "seed"}:
            raise ValueError("fail_share must be an object {'share': 0..1, 'status': 503, 'seed': 0}")
        share = _number("fail_share.share", value.get("share"))
        if share > 1:
            raise ValueError(f"fail_share.share must be from 0 to 1, got {share!r}")
        seed = value.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"fail_share.seed must be an int, got {seed!r}")
        return (
            {"share": share, "status": _status("fail_share.status", value.get("status", 503)), "seed": seed}
            if share
            else None
        )
    if name == "real_rate":
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) - {"per_minute", "burst"}:
            raise ValueError("real_rate must be an object {'per_minute': N, 'burst': M}")
        out = {}
        for key in ("per_minute", "burst"):
            raw = value.get(key)
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
                raise ValueError(f"real_rate.{key} must be an int >= 1, got {raw!r}")
            out[key] = raw
        return out
    if name == "fail_asins":
        if not isinstance(value, dict | None):
            raise ValueError("fail_asins must be an object {asin: status}")
        return {str(a): _status(f"fail_asins[{a}]", s) for a, s in (value or {}).items()}
    if name == "page_size":  # the server pages at most this many results, whatever the client asks
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
            raise ValueError(f"page_size must be an int 1-100 or null, got {value!r}")
        return value
    if name == "extra_results":  # ASINs answered although nobody asked (as a keyword search may)
        if isinstance(value, str) or not isinstance(value, list | tuple | None):
            raise ValueError("extra_results must be a list of ASINs")
        return [str(a) for a in value or ()]
    if name == "unknown_asins":
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset | None):
            raise ValueError("unknown_asins must be a list of ASINs")
        return {str(a) for a in value or ()}
    if isinstance(value, bool) or not isinstance(value, int):  # revision
        raise ValueError(f"revision must be an int, got {value!r}")
    return value


# ---------------------------------------------------------------- the server


class Sandbox:
    """A local Jungle Scout API on a background thread; use as a context manager or start()/stop()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_per_minute: int | None = 300,
        burst_per_second: int | None = 15,
        latency: float = 0.0,
        api_key: str | None = None,
    ) -> None:
        self.host, self.port, self.api_key = host, port, api_key
        self.rate_per_minute, self.burst_per_second = rate_per_minute, burst_per_second
        self._default_latency = _number("latency", latency)
        self.revision = 0
        self.unknown_asins: set[str] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._conns: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._released = threading.Event()  # cleared while the `hold` fault is on
        self._t0 = time.monotonic()
        self._in_flight = 0
        self._holding = 0
        self._generation = 0  # reset() counts up; a request is counted in the stats it began under
        self.reset()

    @property
    def base_url(self) -> str:
        """E.g. ``http://127.0.0.1:54321/api``; the port is known once started (or when given)."""
        port = self._server.server_address[1] if self._server else self.port
        if not port:
            raise RuntimeError("Sandbox port is unknown until start()")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{port}/api"

    def start(self) -> "Sandbox":
        """Bind and serve in a daemon thread; returns self."""
        if self._server is None:
            self._stopping = threading.Event()
            self._server = _Server((self.host, self.port), _Handler)
            self._server.sandbox = self
            self._t0 = time.monotonic()
            # A short poll interval keeps stop() fast.
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="jungle-scout-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and close the socket; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        self._stopping.set()  # wakes handlers sleeping for latency/slow faults
        self._released.set()  # and handlers held by the `hold` fault
        server.shutdown()
        with self._lock:
            for conn in self._conns:
                try:  # shutdown, not close: the handler thread owns the socket and closes it itself
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._idle.wait_for(lambda: not self._conns, timeout=2.0)
        server.server_close()
        if thread is not None:
            thread.join(timeout=2.0)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_faults(self, **kw: Any) -> None:
        """Switch faults on or off (names in FAULT_NAMES); raises ValueError on bad names or values."""
        unknown = set(kw) - FAULT_NAMES
        if unknown:
            raise ValueError(f"unknown fault(s): {sorted(unknown)}; known: {sorted(FAULT_NAMES)}")
        parsed = {name: _parse_fault(name, value) for name, value in kw.items()}  # all-or-nothing
        with self._lock:
            for name, value in parsed.items():
                if name == "revision":
                    self.revision = value
                elif name == "unknown_asins":
                    self.unknown_asins = value
                elif name == "hold":
                    self._faults[name] = value
                    self._faults["hold_after"] = None
                    (self._released.clear if value else self._released.set)()
                elif name == "hold_after":
                    self._faults[name] = value
                    self._faults["hold"] = value is not None
                    (self._released.set if value is None else self._released.clear)()
                elif name == "fail_share":
                    self._faults[name] = value
                    self._fail_rng = random.Random(value["seed"] if value else 0)
                else:
                    self._faults[name] = value

    def reset(self) -> None:
        """Clear faults, stats, rate-limit state and unknown_asins; revision back to 0. A request
        still in flight (a slow answer its client gave up on) is not counted in the new stats."""
        with self._lock:
            self._generation += 1
            self._faults: dict[str, Any] = {
                "latency": self._default_latency,
                "fail_next": None,
                "slow_next": None,
                "malformed_next": None,
                "rate_limit_next": None,
                "fail_asins": {},
                "page_size": None,
                "extra_results": [],
                "bad_values": {},
                "bad_sales_values": {},
                "endless_pages": False,
                "echo_auth_next": None,
                "fail_share": None,
                "real_rate": None,
                "hold": False,
                "hold_after": None,  # answers still given before `hold` applies
            }
            self._released.set()
            self._fail_rng = random.Random(0)
            self.revision = 0
            self.unknown_asins = set()
            self._limiter = _RateLimiter(self.rate_per_minute, self.burst_per_second)
            self._requests = 0
            self._by_endpoint = {"products": 0, "sales": 0}
            self._by_status: dict[str, int] = {}
            self._max_in_flight = self._in_flight
            self._connections_opened = 0
            self._log: deque[dict] = deque(maxlen=LOG_SIZE)

    def stats(self) -> dict:
        """Counters and the recent request log (a copy)."""
        with self._lock:
            return {
                "requests": self._requests,
                "by_endpoint": dict(self._by_endpoint),
                "by_status": dict(self._by_status),
                "rate_limited": self._by_status.get("429", 0),
                "max_in_flight": self._max_in_flight,
                "in_flight": self._in_flight,
                "held": self._holding,  # requests waiting on `hold` right now
                "connections_opened": self._connections_opened,
                "log": [dict(e) for e in self._log],
            }

    # -- used by the handler

    def _faults_view(self) -> dict:
        with self._lock:
            view = {k: (dict(v) if isinstance(v, dict) else v) for k, v in self._faults.items()}
            return {**view, "revision": self.revision, "unknown_asins": sorted(self.unknown_asins)}

    def _take(self, name: str, endpoint: str) -> dict | None:
        """Consume one use of a counted fault if it applies to ``endpoint``."""
        with self._lock:
            fault = self._faults[name]
            if not fault or fault["endpoint"] not in (None, endpoint):
                return None
            fault["count"] -= 1
            if fault["count"] <= 0:
                self._faults[name] = None
            return dict(fault)

    def _share_failure(self) -> int | None:
        """The status to fail this call with under fail_share, else None."""
        with self._lock:
            fault = self._faults["fail_share"]
            if fault and self._fail_rng.random() < fault["share"]:
                return fault["status"]
            return None

    def _held(self) -> bool:
        """Whether this API request waits for the hold to end (`hold`, or `hold_after` used up)."""
        with self._lock:
            passes = self._faults["hold_after"]
            if passes:
                self._faults["hold_after"] = passes - 1
                return False
            return not self._released.is_set()

    def _admit(self, key: str) -> float | None:
        with self._lock:
            real = self._faults["real_rate"]
            self._limiter.rate, self._limiter.burst = (
                (real["per_minute"], real["burst"]) if real else (self.rate_per_minute or 0, self.burst_per_second or 0)
            )
            return self._limiter.check(key, time.monotonic())

    def _begin(self) -> int:
        """A request arrived; returns the stats generation it belongs to."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            return self._generation

    def _record(self, entry: dict, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return  # began before the last reset(): it belongs to stats already cleared
            self._requests += 1
            self._by_endpoint[entry["endpoint"]] += 1
            key = str(entry["status"])
            self._by_status[key] = self._by_status.get(key, 0) + 1
            self._log.append(entry)


_NON_FINITE = {"1e400": math.inf, "-1e400": -math.inf, "NaN": math.nan}


def _raw_json(doc: Any) -> bytes:
    """JSON as a careless server might send it: inf/-inf/nan as the bare tokens 1e400, -1e400, NaN
    (json.dumps would write Infinity); parsers turn them back into inf/nan."""
    marks = {token: f"@@sandbox-non-finite-{token}@@" for token in _NON_FINITE}

    def swap(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return marks["NaN" if math.isnan(value) else "1e400" if value > 0 else "-1e400"]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(doc))
    for token, mark in marks.items():
        text = text.replace(json.dumps(mark), token)
    return text.encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # benchmarks open many connections at once
    sandbox: Sandbox

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer is normal here; never print tracebacks


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind a load balancer
    server_version = "JungleScoutSandbox/1.0"
    timeout = 30  # idle keep-alive connections give up their thread eventually
    disable_nagle_algorithm = True  # else small answers stall ~40 ms on delayed ACKs
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no per-request noise on stderr

    def setup(self) -> None:
        super().setup()
        sb = self.server.sandbox
        with sb._lock:
            sb._conns.add(self.connection)
            sb._connections_opened += 1
        if sb._stopping.is_set():  # accepted just as stop() ran: don't hold the socket open for `timeout`
            self.connection.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            sb = self.server.sandbox
            with sb._lock:
                sb._conns.discard(self.connection)
                sb._idle.notify_all()

    def _dispatch(self) -> None:
        self._sent = False
        try:
            self._route()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # never let bad input take the server down
            self.close_connection = True
            if not self._sent:
                try:
                    self._send(500, _ApiError(500, f"sandbox bug: {exc!r}").body())
                except OSError:
                    pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self._sent = True
        self.send_response(status)
        self.send_header("Content-Type", JSONAPI)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server calls this for requests too broken to route; answer JSON:API, not HTML.
        self.close_connection = True
        detail = message or explain or "malformed request"
        self._send(code, _ApiError(code, detail).body(), {"Connection": "close"})

    def _read_body(self) -> bytes | None:
        """Always drain the body so a kept-alive connection stays in sync; None when unreadable."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _route(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        params = parse_qsl(url.query, keep_blank_values=True)
        body = self._read_body()
        if path.startswith("/api/_sandbox/"):
            return self._control(path[len("/api/_sandbox/") :], body, dict(params))
        endpoint = PATHS.get(path)
        if endpoint is None:
            return self._send(404, _ApiError(404, f"no such endpoint: {url.path}").body())
        sb = self.server.sandbox
        query = dict(params)
        entry = {
            "t": round(time.monotonic() - sb._t0, 6),
            "method": self.command,
            "endpoint": endpoint,
            "marketplace": query.get("marketplace"),
            "asins": self._asins_of(endpoint, query, body),
            "status": 500,
        }
        generation = sb._begin()
        recorded = False
        try:
            self._extra_sleep = 0.0  # set by a slow_next fault, whatever the answer turns out to be
            try:
                status, payload, headers = self._api(endpoint, params, body)
            except _ApiError as err:
                status, payload, headers = err.status, err.body(), err.headers
            entry["status"] = status
            if sb._held():  # the `hold` and `hold_after` faults
                with sb._lock:
                    sb._holding += 1
                try:
                    sb._released.wait()
                finally:
                    with sb._lock:
                        sb._holding -= 1
            delay = sb._faults["latency"] + self._extra_sleep
            if delay > 0:  # sleep in this handler thread, so concurrent requests overlap
                sb._stopping.wait(delay)
            # Counted before sending, so a client that has its answer always sees it in stats().
            sb._record(entry, generation)
            recorded = True
            self._send(status, payload, headers)
        finally:
            if not recorded:
                sb._record(entry, generation)
            with sb._lock:
                sb._in_flight -= 1

    @staticmethod
    def _asins_of(endpoint: str, query: dict, body: bytes | None) -> list[str]:
        """Best effort, for the stats log only: the ASINs a request asks about."""
        if endpoint == "sales":
            return [query["asin"]] if "asin" in query else []
        try:
            kws = json.loads(body or b"")["data"]["attributes"]["include_keywords"]
            return [k for k in kws if isinstance(k, str)] if isinstance(kws, list) else []
        except (ValueError, TypeError, KeyError):
            return []

    def _api(self, endpoint: str, params: list[tuple[str, str]], body: bytes | None) -> tuple[int, Any, dict[str, str]]:
        sb = self.server.sandbox
        auth = (self.headers.get("Authorization") or "").strip()
        if not auth:
            raise _ApiError(401, "Missing Authorization header", "UNAUTHORIZED")
        if sb.api_key is not None and auth != sb.api_key:
            raise _ApiError(401, "Invalid API key", "UNAUTHORIZED")
        wait = sb._admit(auth)
        if wait is not None:
            raise _too_many(wait, max(1, math.ceil(wait)))
        # Faults act after admission (they consumed rate budget) and before validation, like a proxy.
        if fault := sb._take("rate_limit_next", endpoint):
            raise _too_many(fault["retry_after"], fault["retry_after"])
        if slow := sb._take("slow_next", endpoint):
            self._extra_sleep = slow["seconds"]
        if fault := sb._take("fail_next", endpoint):
            raise _ApiError(fault["status"], "Injected failure (sandbox fault fail_next)")
        if fault := sb._share_failure():
            raise _ApiError(fault, "Injected failure (sandbox fault fail_share)")
        if sb._take("malformed_next", endpoint):
            return 200, b'{"data": [{"id": "us/B0', {}
        if fault := sb._take("echo_auth_next", endpoint):  # a careless server echoing the request
            key = auth.partition(":")[2] or auth
            raise _ApiError(fault["status"], f"Authorization {auth} was refused (unknown key {key})")
        if self.command != METHODS[endpoint]:
            raise _ApiError(
                405, f"{self.command} not allowed; use {METHODS[endpoint]}", headers={"Allow": METHODS[endpoint]}
            )
        if ACCEPT not in (self.headers.get("Accept") or ""):
            raise _ApiError(400, f"Accept header must be {ACCEPT}", "BAD_ACCEPT_HEADER")
        # The official client spells it X_API_Type, which the real API evidently accepts too.
        api_type = self.headers.get("X-API-Type") or self.headers.get("X_API_Type") or ""
        if api_type.strip().lower() != "junglescout":
            raise _ApiError(400, "X-API-Type header must be junglescout", "BAD_API_TYPE_HEADER")
        query = dict(params)
        market = query.get("marketplace")
        if market not in MARKETPLACES:
            raise _ApiError(
                400, f"marketplace must be one of {' '.join(MARKETPLACES)}, got {market!r}", "INVALID_MARKETPLACE"
            )
        if endpoint == "products":
            return 200, self._products(market, params, body), {}
        return 200, self._sales(market, query), {}

    def _products(self, market: str, params: list[tuple[str, str]], body: bytes | None) -> dict:
        sb = self.server.sandbox
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in (JSONAPI, "application/json"):
            raise _ApiError(415, f"Content-Type must be {JSONAPI}, got {ctype or 'none'}")
        query = dict(params)
        raw_size = query.get("page[size]", "100")
        if not re.fullmatch(r"[0-9]{1,3}", raw_size) or not 1 <= int(raw_size) <= 100:
            raise _ApiError(400, f"page[size] must be an integer 1-100, got {raw_size!r}", "INVALID_PAGE_SIZE")
        size = int(raw_size)
        faults = sb._faults_view()
        if faults["page_size"]:
            size = min(size, faults["page_size"])
        if body is None:
            raise _ApiError(400, "request body is unreadable (chunked or too large)")
        try:
            doc = json.loads(body)
        except ValueError:
            raise _ApiError(400, "request body is not valid JSON", "INVALID_JSON") from None
        data = doc.get("data") if isinstance(doc, dict) else None
        attrs = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(attrs, dict) or data.get("type") != "product_database_query":
            raise _ApiError(
                400, "body must be {'data': {'type': 'product_database_query', 'attributes': {...}}}", "INVALID_BODY"
            )
        kws = attrs.get("include_keywords")
        if not isinstance(kws, list) or not 1 <= len(kws) <= 100 or not all(isinstance(k, str) for k in kws):
            raise _ApiError(400, "include_keywords must be a list of 1-100 strings", "INVALID_BODY")
        for key in ("exclude_keywords", "product_tiers", "seller_types"):
            if not isinstance(attrs.get(key, []), list):
                raise _ApiError(400, f"{key} must be a list", "INVALID_BODY")
        found = [k for k in dict.fromkeys([*kws, *faults["extra_results"]]) if is_known(k, sb.unknown_asins)]
        # The cursor carries the offset plus a fingerprint of the query, so a client that changes the
        # body between pages gets an error instead of silently skipped products.
        fingerprint = hashlib.sha1(f"{market}|{'|'.join(kws)}".encode()).hexdigest()[:12]
        offset = 0
        if "page[cursor]" in query:
            try:
                token = query["page[cursor]"]
                raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
                mark, _, num = raw.partition(":")
                offset = int(num)
            except ValueError:
                mark, offset = "", -1
            end = float("inf") if faults["endless_pages"] else len(found)
            if mark != fingerprint or not 0 < offset < end:
                raise _ApiError(400, "page[cursor] is invalid or does not belong to this query", "INVALID_CURSOR")
        bad = faults["bad_values"]
        items = [
            {
                "id": f"{market}/{asin}",
                "type": "product_database_result",
                "attributes": {**product_attributes(asin, market, sb.revision), **bad.get(asin, {})},
            }
            for asin in found[offset : offset + size]
        ]
        links = {"self": self._url(params)}
        if offset + size < len(found) or faults["endless_pages"]:
            token = base64.urlsafe_b64encode(f"{fingerprint}:{offset + size}".encode()).decode().rstrip("=")
            links["next"] = self._url([(k, v) for k, v in params if k != "page[cursor]"] + [("page[cursor]", token)])
        doc = {"data": items, "links": links, "meta": {"total_items": len(found)}}
        return _raw_json(doc) if any(asin in bad for asin in found[offset : offset + size]) else doc

    def _url(self, params: list[tuple[str, str]]) -> str:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        path = urlsplit(self.path).path
        return f"http://{host}{path}?{urlencode(params, safe='[]', quote_via=quote)}"

    def _sales(self, market: str, query: dict) -> dict:
        sb = self.server.sandbox
        asin = query.get("asin", "")
        if not ASIN_RE.match(asin):
            raise _ApiError(400, f"asin must match {ASIN_RE.pattern}, got {asin!r}", "INVALID_ASIN")
        dates = {}
        for name in ("start_date", "end_date"):
            raw = query.get(name, "")
            try:
                if not _DATE_RE.match(raw):
                    raise ValueError(raw)
                dates[name] = datetime.date.fromisoformat(raw)
            except ValueError:
                raise _ApiError(400, f"{name} must be a date YYYY-MM-DD, got {raw!r}", "INVALID_DATE") from None
        start, end = dates["start_date"], dates["end_date"]
        if start > end:
            raise _ApiError(400, f"start_date {start} is after end_date {end}", "INVALID_DATE_RANGE")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise _ApiError(400, f"date range longer than {MAX_RANGE_DAYS} days", "INVALID_DATE_RANGE")
        status = sb._faults["fail_asins"].get(asin)
        if status:
            raise _ApiError(status, f"Injected failure for {asin} (sandbox fault fail_asins)")
        if not is_known(asin, sb.unknown_asins):
            raise _ApiError(404, f"ASIN {asin} not found in marketplace {market}", "NOT_FOUND")
        if asin.startswith("B0NR"):
            raise _ApiError(422, f"No rank data available to estimate sales for {asin}", "MISSING_RANK_DATA")
        attrs = product_attributes(asin, market, sb.revision)
        points = [] if asin.startswith("B0NS") else sales_points(asin, market, start, end, sb.revision)
        bad = sb._faults["bad_sales_values"].get(asin)
        if bad:
            points = [{**point, **bad} for point in points]
        doc = {
            "data": [
                {
                    "id": f"{market}/{asin}",
                    "type": "sales_estimate_result",
                    "attributes": {
                        "asin": asin,
                        "is_parent": attrs["is_parent"],
                        "is_variant": attrs["is_variant"],
                        "is_standalone": attrs["is_standalone"],
                        "parent_asin": attrs["parent_asin"],
                        "variants": attrs["variants"] if attrs["is_parent"] else [],
                        "data": points,
                    },
                }
            ]
        }
        return _raw_json(doc) if bad else doc

    def _control(self, name: str, body: bytes | None, query: dict) -> None:
        """The /api/_sandbox/* endpoints: no auth, no rate limit, not counted."""
        sb = self.server.sandbox
        allowed = {"faults": ("GET", "POST"), "reset": ("POST",), "stats": ("GET",)}.get(name)
        if allowed is None:
            return self._send(404, _ApiError(404, f"no such sandbox endpoint: {name}").body())
        if self.command not in allowed:
            return self._send(405, _ApiError(405, f"use {' or '.join(allowed)}").body(), {"Allow": ", ".join(allowed)})
        if name == "stats":
            stats = sb.stats()
            if query.get("log") in ("0", "false", "no"):  # the log can be large
                del stats["log"]
            return self._send(200, stats)
        if name == "reset":
            sb.reset()
            return self._send(200, {"faults": sb._faults_view()})
        if self.command == "POST":
            try:
                kw = json.loads(body or b"{}")
                if not isinstance(kw, dict):
                    raise ValueError("body must be a JSON object of fault settings")
                sb.set_faults(**kw)
            except ValueError as exc:
                return self._send(400, _ApiError(400, str(exc), "INVALID_FAULT").body())
        return self._send(200, {"faults": sb._faults_view()})


def serve(port: int = 0, host: str = "127.0.0.1", **sandbox_kwargs: Any) -> None:
    """Run a Sandbox in the foreground until SIGINT/SIGTERM; the first line printed is its base URL."""
    done = threading.Event()
    handlers = {sig: signal.signal(sig, lambda *_: done.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Sandbox(host, port, **sandbox_kwargs) as sandbox:
            print(sandbox.base_url, flush=True)
            while not done.wait(0.5):  # a timed wait lets the signal handler run promptly
                pass
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
