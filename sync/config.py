"""Configuration: every environment variable of the contract, read and validated once."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from extract import archive_url
from loaders.catalogue import (
    DEFAULT_ASIN_COLUMN,
    DEFAULT_TABLE,
    DEFAULT_VISIBILITY_COLUMN,
    CatalogueSettings,
)
from loaders.connections import DbSettings
from loaders.render import PREFIX_PATTERN
from sync import logs

DEFAULT_BASE_URL = "https://developer.junglescout.com/api"
DEFAULT_LANDING_DIR = ".local/landing"

# Said wherever a production step is skipped because DB_PROD_HOST is empty or unset.
STAGING_ONLY = "production is disabled (DB_PROD_HOST is empty): staging only"

# What each command needs; the names are the `needs` of load().
NEEDS_DB = "db"
NEEDS_API = "api"
NEEDS_HTTP = "http"

_TARGET_ENV = {"staging": "DB_STAGING", "production": "DB_PROD"}
_TARGET_HELP = {
    "HOST": "PostgreSQL host name or address",
    "PORT": "PostgreSQL port, 1-65535",
    "USER": "PostgreSQL user",
    "PASS": "PostgreSQL password (may be empty only if the server trusts the user)",
    "NAME": "database name",
    "TABLE_PREFIX": "table prefix matching ^[a-z_][a-z0-9_]{0,30}$, e.g. dev_az_",
}


class ConfigError(ValueError):
    """Every missing or invalid variable, one per line; raised before anything is touched."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Config:
    """The validated environment. Secrets are excluded from repr()."""

    staging: DbSettings | None
    production: DbSettings | None  # None: not needed by the command, or staging-only
    staging_only: bool = False  # DB_PROD_HOST empty or unset: no production step runs
    catalogue: CatalogueSettings = field(default_factory=CatalogueSettings)
    port: int = 8080
    js_base_url: str = DEFAULT_BASE_URL
    js_api_key_name: str | None = None
    rate_per_minute: int = 300
    burst_per_second: int = 15
    max_concurrency: int = 32
    retry_backoff_ms: int = 500  # first retry of a 5xx/timeout; doubles per retry
    max_retry_wait_ms: int = 60_000  # longest single wait, a server's Retry-After included
    rate_limit_wait_seconds: int = 120  # 429s one request may sit through before it fails
    landing_dir: Path = Path(DEFAULT_LANDING_DIR)
    landing_lock_wait: float = 10.0
    notify_on_change_only: bool = False
    # Cadence and freshness (issue 11); the defaults are the Go service's constants.
    hourly_sync_asin_limit: int | str = 100  # a positive integer, or "auto"
    stale_data_threshold_days: int = 30
    product_not_found_retry_days: int = 15
    sync_runs_per_day: int = 24
    sync_run_time_limit_seconds: int = 3000
    monthly_request_budget: int | None = None  # None: no budget
    freshness_sla_percent: float = 99.0
    # Variation families (issue 18): one sales call per shared-rank group, audited.
    sales_family_sharing: bool = False
    sales_family_audit_percent: float = 2.0
    # Issue 20: where every merged load's landed tables are kept as Parquet (None: nowhere), and
    # how many days of loads the local landing file keeps (None: all of them).
    landing_archive: archive_url.ArchiveUrl | None = None
    landing_retention_days: int | None = None
    js_api_key: str = field(default="", repr=False)
    jwt_secret: str = field(default="", repr=False)
    sync_api_key: str = field(default="", repr=False)
    discord_webhook_url: str = field(default="", repr=False)

    @property
    def js_authorization(self) -> str:
        """The Authorization header value: `NAME:KEY`, or the key as given when no name is set."""
        if self.js_api_key_name:
            return f"{self.js_api_key_name}:{self.js_api_key}"
        return self.js_api_key

    def secrets(self) -> list[str]:
        """Every secret value in force, for scrubbing text that leaves the process."""
        values = [self.js_api_key, self.jwt_secret, self.sync_api_key, self.discord_webhook_url, self.js_authorization]
        for db in (self.staging, self.production):
            if db is not None:
                values.append(db.password)
        values += logs.webhook_secrets(self.discord_webhook_url)  # the token shows up alone too
        if self.landing_archive is not None:  # credentials a URL may carry (s3://KEY:SECRET@...)
            values += list(self.landing_archive.secrets)
        # Very short values would redact ordinary words; such secrets are refused anyway.
        return [v for v in values if v and len(v) >= 4]


# The whole-number settings with a default: (Config field, variable, default, lowest, highest,
# what it means; the meaning is said back when the value is missing or out of range).
_INTEGERS: tuple[tuple[str, str, int, int, int, str], ...] = (
    ("port", "PORT", 8080, 1, 65535, "HTTP port"),
    ("rate_per_minute", "JUNGLE_SCOUT_RATE_PER_MINUTE", 300, 1, 1_000_000, "client-side request limit per minute"),
    ("burst_per_second", "JUNGLE_SCOUT_BURST_PER_SECOND", 15, 1, 100_000, "client-side request limit per second"),
    ("max_concurrency", "JUNGLE_SCOUT_MAX_CONCURRENCY", 32, 1, 256, "most API requests in flight at once"),
    (
        "retry_backoff_ms",
        "JUNGLE_SCOUT_RETRY_BACKOFF_MS",
        500,
        0,
        60_000,
        "milliseconds before the first retry of a failed request; doubles per retry",
    ),
    (
        "max_retry_wait_ms",
        "JUNGLE_SCOUT_MAX_RETRY_WAIT_MS",
        60_000,
        0,
        600_000,
        "longest single wait before a retry, a server's Retry-After included",
    ),
    (
        "rate_limit_wait_seconds",
        "JUNGLE_SCOUT_RATE_LIMIT_WAIT_SECONDS",
        120,
        1,
        3600,
        "seconds of 429 answers one request may sit through before it fails",
    ),
    (
        "landing_lock_wait",
        "LANDING_LOCK_WAIT_SECONDS",
        10,
        0,
        600,
        "seconds a sync waits for another process to release the landing file",
    ),
    (
        "stale_data_threshold_days",
        "STALE_DATA_THRESHOLD_DAYS",
        30,
        1,
        3650,
        "days after which an ASIN's data is refreshed",
    ),
    (
        "product_not_found_retry_days",
        "PRODUCT_NOT_FOUND_RETRY_DAYS",
        15,
        1,
        3650,
        "days before an ASIN the API did not find is asked for again",
    ),
    ("sync_runs_per_day", "SYNC_RUNS_PER_DAY", 24, 1, 1440, "how many hourly syncs the scheduler starts a day"),
    (
        "sync_run_time_limit_seconds",
        "SYNC_RUN_TIME_LIMIT_SECONDS",
        3000,
        10,
        86_400,
        "seconds an hourly sync may run from its start (catch-up, fetching, merging); keep it below the task timeout",
    ),
)


def _int(
    env: Mapping[str, str], name: str, default: int | None, lo: int, hi: int, problems: list[str], meaning: str
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        if default is None:
            problems.append(f"{name} is missing ({meaning})")
            return 0
        return default
    if not re.fullmatch(r"\d+", raw) or not lo <= int(raw) <= hi:
        problems.append(f"{name}={raw!r} is invalid ({meaning}; an integer from {lo} to {hi})")
        return default or 0
    return int(raw)


def _percent(env: Mapping[str, str], name: str, default: float, problems: list[str], meaning: str) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"\d{1,3}(\.\d{1,3})?", raw) or not 0 <= float(raw) <= 100:
        problems.append(f"{name}={raw[:40]!r} is invalid ({meaning}; a number from 0 to 100, e.g. 99 or 99.5)")
        return default
    return float(raw)


def _url(env: Mapping[str, str], name: str, problems: list[str], meaning: str, show_value: bool = True) -> str:
    raw = env.get(name, "").strip()
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        shown = f"={raw!r}" if show_value else ""
        problems.append(f"{name}{shown} is invalid ({meaning}; an http:// or https:// URL)")
    return raw


def _db(env: Mapping[str, str], target: str, problems: list[str]) -> DbSettings | None:
    base = _TARGET_ENV[target]
    values: dict[str, str] = {}
    for key, meaning in _TARGET_HELP.items():
        name = f"{base}_{key}"
        raw = env.get(name)
        if raw is None or (key != "PASS" and not raw.strip()):
            problems.append(f"{name} is missing ({target} {meaning})")
        values[key] = (raw or "").strip() if key != "PASS" else (raw or "")
    prefix = values["TABLE_PREFIX"]
    if prefix and not PREFIX_PATTERN.match(prefix):
        problems.append(
            f"{base}_TABLE_PREFIX={prefix[:40]!r} is invalid (it must match "
            "^[a-z_][a-z0-9_]{0,30}$: lower-case letters, digits, underscores)"
        )
    port = _int(
        env,
        f"{base}_PORT",
        5432 if not env.get(f"{base}_PORT") else None,
        1,
        65535,
        problems,
        f"{target} PostgreSQL port",
    )
    if any(p.startswith(base + "_") for p in problems):
        return None
    return DbSettings(
        target=target,
        host=values["HOST"],
        port=port,
        user=values["USER"],
        name=values["NAME"],
        prefix=prefix,
        password=values["PASS"],
    )


def _catalogue(env: Mapping[str, str], prefix: str | None, problems: list[str]) -> CatalogueSettings:
    """CATALOGUE_TABLE, _ASIN_COLUMN, _VISIBILITY_COLUMN and _TABLE_FROM, checked as names."""
    settings = CatalogueSettings(
        table=env.get("CATALOGUE_TABLE", "").strip() or DEFAULT_TABLE,
        asin_column=env.get("CATALOGUE_ASIN_COLUMN", "").strip() or DEFAULT_ASIN_COLUMN,
        visibility_column=env.get("CATALOGUE_VISIBILITY_COLUMN", "").strip() or DEFAULT_VISIBILITY_COLUMN,
        table_from=env.get("CATALOGUE_TABLE_FROM", "").strip() or None,
    )
    problems += settings.problems(prefix)  # no valid prefix: its own problem is said already
    return settings


def staging_only(env: Mapping[str, str]) -> bool:
    """DB_PROD_HOST empty or unset: the service runs on staging alone."""
    return not env.get("DB_PROD_HOST", "").strip()


def load(env: Mapping[str, str] | None = None, needs: Iterable[str] = (NEEDS_DB, NEEDS_API)) -> Config:
    """Read and validate the environment for a command that `needs` db, api and/or http.

    With DB_PROD_HOST empty or unset the service is staging-only: `production` is None, the other
    DB_PROD_* are not read, and `staging_only` is True."""
    env = os.environ if env is None else env
    needs = set(needs)
    problems: list[str] = []

    staging = _db(env, "staging", problems) if NEEDS_DB in needs else None
    only_staging = NEEDS_DB in needs and staging_only(env)
    production = _db(env, "production", problems) if NEEDS_DB in needs and not only_staging else None
    catalogue = _catalogue(env, staging.prefix if staging is not None else None, problems)

    numbers = {
        field: _int(env, name, default, lo, hi, problems, meaning)
        for field, name, default, lo, hi, meaning in _INTEGERS
    }

    base_url = env.get("JUNGLE_SCOUT_BASE_URL", "").strip() or DEFAULT_BASE_URL
    _url({"JUNGLE_SCOUT_BASE_URL": base_url}, "JUNGLE_SCOUT_BASE_URL", problems, "the API root")

    api_key = env.get("JUNGLE_SCOUT_API_KEY", "").strip()
    key_name = env.get("JUNGLE_SCOUT_API_KEY_NAME", "").strip() or None
    if NEEDS_API in needs and not api_key:
        problems.append("JUNGLE_SCOUT_API_KEY is missing (the Jungle Scout API key)")
    if key_name is not None and not re.fullmatch(r"[A-Za-z0-9_.\- ]{1,100}", key_name):
        problems.append("JUNGLE_SCOUT_API_KEY_NAME is invalid (letters, digits, space, _ . -; at most 100 characters)")

    jwt_secret = env.get("JWT_SECRET", "")
    sync_api_key = env.get("SYNC_API_KEY", "")
    if NEEDS_HTTP in needs:
        if len(jwt_secret) < 16:
            problems.append("JWT_SECRET is missing or too short (the HS256 signing secret; at least 16 characters)")
        if len(sync_api_key) < 16:
            problems.append(
                "SYNC_API_KEY is missing or too short (the X-API-KEY of the hourly endpoints; at least 16 characters)"
            )

    webhook = env.get("DISCORD_WEBHOOK_URL", "").strip()
    if webhook:
        _url(env, "DISCORD_WEBHOOK_URL", problems, "the Discord webhook", show_value=False)

    landing = env.get("LANDING_DIR", "").strip() or DEFAULT_LANDING_DIR
    on_change = env.get("DISCORD_NOTIFY_ON_CHANGE", "false").strip().lower()
    if on_change not in ("true", "false", "1", "0", ""):
        problems.append(f"DISCORD_NOTIFY_ON_CHANGE={on_change!r} is invalid (true or false)")

    limit_raw = env.get("HOURLY_SYNC_ASIN_LIMIT", "").strip().lower() or "100"
    limit: int | str = "auto"
    if limit_raw != "auto":
        limit = _int(
            {"HOURLY_SYNC_ASIN_LIMIT": limit_raw},
            "HOURLY_SYNC_ASIN_LIMIT",
            100,
            1,
            10_000_000,
            problems,
            "ASINs per hourly sync; or auto to plan it from the catalogue, the threshold, the rate and the budget",
        )
    budget: int | None = None
    if env.get("JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET", "").strip():
        budget = _int(
            env,
            "JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET",
            None,
            1,
            10**12,
            problems,
            "API requests allowed per calendar month (UTC), retries and 429s included; unset for no budget",
        )
    sla = _percent(
        env,
        "FRESHNESS_SLA_PERCENT",
        99.0,
        problems,
        "share of visible ASINs that must be fresh; below it a report is yellow",
    )

    sharing_raw = env.get("SALES_FAMILY_SHARING", "").strip().lower() or "off"
    if sharing_raw not in ("on", "off"):
        problems.append(
            f"SALES_FAMILY_SHARING={sharing_raw[:40]!r} is invalid (on: one sales call per group of variations "
            "that share a rank; off: one per ASIN)"
        )
    audit = _percent(
        env,
        "SALES_FAMILY_AUDIT_PERCENT",
        2.0,
        problems,
        "share of the shared variations also fetched on their own each run, to check the sharing",
    )
    archive = None
    if env.get("LANDING_ARCHIVE_URL", "").strip():
        try:
            archive = archive_url.parse(env["LANDING_ARCHIVE_URL"])
        except archive_url.ArchiveUrlError as exc:  # never the URL itself: it may hold credentials
            problems.append(f"LANDING_ARCHIVE_URL is invalid ({exc})")
    retention: int | None = None
    if env.get("LANDING_RETENTION_DAYS", "").strip():
        retention = _int(
            env,
            "LANDING_RETENTION_DAYS",
            None,
            0,
            36_500,
            problems,
            "days of loads the local landing file keeps; 0 keeps only the running sync's; unset keeps all",
        )

    if problems:
        raise ConfigError(problems)
    numbers["landing_lock_wait"] = float(numbers["landing_lock_wait"])
    return Config(
        staging=staging,
        production=production,
        staging_only=only_staging,
        catalogue=catalogue,
        **numbers,
        js_base_url=base_url.rstrip("/"),
        js_api_key_name=key_name,
        landing_dir=Path(landing),
        notify_on_change_only=on_change in ("true", "1"),
        hourly_sync_asin_limit=limit,
        monthly_request_budget=budget,
        freshness_sla_percent=sla,
        sales_family_sharing=sharing_raw == "on",
        sales_family_audit_percent=audit,
        landing_archive=archive,
        landing_retention_days=retention,
        js_api_key=api_key,
        jwt_secret=jwt_secret,
        sync_api_key=sync_api_key,
        discord_webhook_url=webhook,
    )
