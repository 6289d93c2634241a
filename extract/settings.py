"""Constants of the Jungle Scout API and of the Go service this one replaces."""

import re

MARKETPLACES = ("us", "uk", "ca", "de", "fr", "in", "it", "es", "mx", "jp")
ASIN_PATTERN = re.compile(r"^(B[0-9A-Z]{9}|[0-9]{9}[0-9X])$")

ACCEPT = "application/vnd.junglescout.v1+json"
CONTENT_TYPE = "application/vnd.api+json"
API_TYPE = "junglescout"

PRODUCT_BATCH_SIZE = 100  # ASINs per product_database_query call, and its page size
HOURLY_SYNC_ASIN_LIMIT = 100
STALE_DATA_THRESHOLD_DAYS = 30
PRODUCT_NOT_FOUND_RETRY_DAYS = 15
API_ATTEMPTS = 3  # attempts per request: the first and two retries
MAX_RETRY_WAIT = 60.0  # seconds: never sleep longer on a server's say-so
RETRY_BACKOFF = 0.5  # seconds before the first retry of a 5xx/timeout; doubles each time
RATE_LIMIT_WAIT = 120.0  # seconds of 429s one request may sit through before it fails
MISSING_RANK_DATA = "MISSING_RANK_DATA"
NOT_FOUND_ERROR = "Product not found in JungleScout API"
