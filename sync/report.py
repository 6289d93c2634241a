"""The Discord report of a finished sync, as in the Go service's "Discord Notifications".

Green (3066993) when the run completed without failures, yellow (16776960) when it completed
with some, red (15158332) when it stopped early. The report is best effort: a missing, slow,
rate-limited or broken webhook costs the sync a few seconds at most and never fails it.
The webhook URL holds a token, so it is never logged, and every text sent is scrubbed of the
configured secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg2
import requests
import tenacity

from extract import retrying
from extract.text import Scrubber, first_line, retry_after
from loaders.execute import run_model
from sync import freshness
from sync.config import Config
from sync.status import SyncStatus, iso

log = logging.getLogger("jssync.report")

GREEN, YELLOW, RED = 3066993, 16776960, 15158332
COLOURS = {"success": GREEN, "failures": YELLOW, "stopped": RED}
HEADLINES = {"success": "Completed successfully", "failures": "Completed with failures", "stopped": "Stopped early"}

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
MAX_FIELDS = 25
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_TOTAL = 6000

# A webhook that is down or slow must not hold a sync up for more than a few seconds.
TIMEOUT = (2.0, 3.0)  # connect, read (seconds)
ATTEMPTS = 2  # at most one retry, after a 429 or a 5xx
MAX_RETRY_WAIT = 2.0  # a 429 asking for longer is not retried
RETRY_BUDGET = 5.0  # no retry once this many seconds have passed since the first try
SERVER_ERROR_PAUSE = 0.5

_ELLIPSIS = "…"


@dataclass(frozen=True)
class Delivery:
    """What happened to one report: sent or not, why, and how many requests it took."""

    sent: bool
    reason: str
    attempts: int = 0


def colour(outcome: str) -> int | None:
    """The embed colour of an outcome (success, failures, stopped); None for a running sync."""
    return COLOURS.get(outcome)


def duration_text(seconds: float) -> str:
    """`2m 15s`, `45s`, `1h 2m 3s`."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def _cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, marked with … when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + _ELLIPSIS if limit > 0 else ""


def _api_calls(status: SyncStatus) -> str:
    usage = status.api_usage or {}
    extras = []
    if usage.get("retries"):
        extras.append(f"{usage['retries']} retries")
    if usage.get("rate_limited"):
        extras.append(f"{usage['rate_limited']} rate-limited")
    return f"{status.total_api_calls}" + (f" ({', '.join(extras)})" if extras else "")


def _rate_lowered(status: SyncStatus) -> str:
    """The report line when the API's 429s made the limiter lower its rate this run, else ''."""
    usage = status.api_usage or {}
    configured, lowest = usage.get("configured_rate_per_minute"), usage.get("lowest_rate_per_minute")
    if configured is None or lowest is None or lowest >= configured:
        return ""
    return (
        f"lowered to {lowest:g}/min by 429 answers (configured {configured:g}/min); "
        f"the run ended at {usage.get('effective_rate_per_minute', lowest):g}/min"
    )


def _samples(samples: list[str]) -> str:
    """The sample errors as a list that fits one field value, each cut to an equal share."""
    if not samples:
        return ""
    share = (MAX_FIELD_VALUE - 4 * len(samples)) // len(samples)  # "• " and "\n" per line
    return "\n".join("• " + _cut(" ".join(s.split()), share) for s in samples)


def _fields(status: SyncStatus) -> list[dict]:
    def field(name: str, value: object, inline: bool = True) -> dict:
        return {"name": name, "value": str(value), "inline": inline}

    duration = duration_text(status.duration())
    if status.kind == "master":
        fields = [
            field("Total ASINs", status.total_asins),
            field("Processed", f"{status.total_asins_processed} ASINs"),
            field("Batches", f"{status.current_batch}/{status.total_batches}"),
            field("Product", f"{status.successful_product_sync}/{status.total_asins_processed}"),
            field("Sales", status.successful_sales_sync),
            field("Failed", status.failed_asins),
            field("Date range", status.date_range),
            field("Mode", status.sync_mode or "-"),
            field("Duration", duration),
            field("API Calls", _api_calls(status)),
        ]
    else:
        fields = [
            field("Processed", f"{status.total_asins_processed} ASINs"),
            field("New", status.new_asins_synced),
            field("Stale", status.stale_asins_synced),
            field("Product", f"{status.successful_product_sync}/{status.total_asins_processed}"),
            field("Sales", status.successful_sales_sync),
            field("Duration", duration),
            field("Cleaned", status.cleaned_up_asins),
            field("Added", status.new_asins_added),
            field("API Calls", _api_calls(status)),
        ]
        if status.failed_asins:
            fields.append(field("Failed", status.failed_asins))
    if status.kind != "master" and status.sales_gap_asins_synced:
        fields.append(field("Sales gaps", status.sales_gap_asins_synced))
    audit = status.family_audit
    if status.sales_shared_asins or audit["checked"]:
        # Variation families: ASINs given their group's one sales answer, and the audit of the sharing.
        fields.append(field("Shared sales", f"{status.sales_shared_asins} ASINs"))
        verdict = f"{audit['checked']} checked, {audit['mismatched']} mismatched"
        if audit["demoted_groups"]:
            verdict += f", {audit['demoted_groups']} {'group' if audit['demoted_groups'] == 1 else 'groups'} demoted"
        fields.append(field("Family audit", verdict))
    if lowered := _rate_lowered(status):
        fields.append(field("API rate", lowered, False))
    if status.production == "disabled":  # DB_PROD_HOST empty: no production step ran
        fields.append(field("Production", "staging only"))
    elif status.production_pending:
        fields.append(field("Production", f"{status.production_pending} merges pending"))
    if status.production_kept_newer:  # another writer's newer copies, never walked back
        fields.append(field("Kept in production", f"{status.production_kept_newer} newer rows"))
    if status.archive:
        fields.append(field("Archive", _archive(status.archive), False))
    fields += _freshness_fields(status, field)
    errors = status.errors
    if errors.total:
        counts = errors.counts
        fields.append(
            field(
                "Errors",
                f"DB: {counts['db']} | API: {counts['api']} | Parse: {counts['parse']} | Other: {counts['other']}",
                False,
            )
        )
        if errors.samples:
            fields.append(field("Sample Errors", _samples(list(errors.samples)), False))
    return fields


def _archive(archive: dict) -> str:
    """The landing archive's line: what this run wrote, or how far behind it is and why."""
    pending = archive.get("pending_loads")
    if pending:
        text = f"behind: {pending} load{'' if pending == 1 else 's'} pending in staging"
        return text + (f" ({archive['error']})" if archive.get("error") else "")
    written = f"{archive.get('files', 0)} files written ({archive.get('loads', 0)} loads)"
    return written if pending == 0 else f"{written}; pending loads unknown"


def _freshness_fields(status: SyncStatus, field: Callable[..., dict]) -> list[dict]:
    """The catalogue's freshness and the month's budget, when the run measured them."""
    out = []
    fig = status.freshness
    if fig:
        # The SLA's share: ASINs waiting on a not-found retry are counted apart, never as stale.
        out.append(field("Fresh", f"{fig['fresh']}/{fig['sla_asins']} ({freshness.fresh_share(fig):.1f}%)"))
        out.append(field("Overdue", f"{fig['overdue']} stale, {fig['never_synced']} never synced"))
        if fig.get("not_found_waiting"):
            out.append(field("Not found", f"{fig['not_found_waiting']} waiting to retry (outside the SLA)"))
        ages = [
            f"product {_days(fig.get('oldest_product_age_days'))}",
            f"p95 {_days(fig.get('p95_product_age_days'))}",
            f"sales {_days(fig.get('oldest_sales_age_days'))}",
        ]
        out.append(field("Oldest", ", ".join(ages)))
    budget = status.budget
    if budget and budget.get("monthly") is not None:
        out.append(
            field("Budget", f"{budget['spent']}/{budget['monthly']} requests this month ({budget['left']} left)")
        )
    if status.not_attempted_asins:
        out.append(field("Not attempted", f"{status.not_attempted_asins} ASINs (budget spent; still due)"))
    if status.warnings:
        out.append(field("Warnings", "\n".join(f"• {w}" for w in status.warnings), False))
    return out


def _days(value: object) -> str:
    return "-" if value is None else f"{float(value):.1f}d"


def _colour(status: SyncStatus) -> int:
    """Yellow for a run that completed with warnings (budget spent, freshness below SLA)."""
    outcome = status.outcome
    if outcome == "success" and status.warnings:
        return YELLOW
    return colour(outcome) or YELLOW


def sync_embed(status: SyncStatus) -> dict:
    """The embed of a finished sync (hourly, master, manual, catch-up), before scrubbing and cutting."""
    outcome = status.outcome
    headline = HEADLINES.get(outcome, outcome.capitalize())
    if outcome == "success" and status.warnings:
        headline = "Completed with warnings"
    lines = [f"Status: {headline}", f"Marketplace: {status.marketplace}"]
    lines += [f"Warning: {w}" for w in status.warnings]
    if status.stop_reason:
        lines.append(f"Reason: {status.stop_reason}")
    embed = {
        "title": f"JungleScout {status.kind.replace('-', ' ').title()} Sync",
        "description": "\n".join(lines),
        "color": _colour(status),
        "fields": _fields(status),
        "footer": {"text": f"run {status.run_id}"},
    }
    if status.completed_at is not None:
        embed["timestamp"] = iso(status.completed_at)
    return embed


def build_payload(
    status: SyncStatus,
    secrets: list[str] | tuple[str, ...] = (),
    *,
    embed: Callable[[SyncStatus], dict] | None = None,
) -> dict:
    """The webhook body for a finished run: its embed (`embed(status)`, default the sync report),
    scrubbed of `secrets`, then cut to Discord's limits. The one way a payload is made."""
    body = (embed or sync_embed)(status)
    # Scrubbed before it is cut: a cut through a secret would leave part of it behind.
    body = Scrubber(secrets).value(body)
    # No mentions: an error text holding "@everyone" must not ping the channel.
    return {"embeds": [fit_embed(body)], "allowed_mentions": {"parse": []}}


def embed_size(embed: dict) -> int:
    """The characters Discord counts against the 6,000 limit of an embed."""
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + len(embed.get("footer", {}).get("text", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    )


def fit_embed(embed: dict) -> dict:
    """Cut `embed` to Discord's limits (never refuse): each piece first, then the longest
    texts until the whole fits 6,000 characters."""
    out = dict(embed)
    out["title"] = _cut(out.get("title", ""), MAX_TITLE)
    out["description"] = _cut(out.get("description", ""), MAX_DESCRIPTION)
    if "footer" in out:
        out["footer"] = {"text": _cut(out["footer"].get("text", ""), MAX_FOOTER)}
    fields = []
    for f in out.get("fields", [])[:MAX_FIELDS]:
        # Discord rejects an empty name or value.
        fields.append(
            {
                "name": _cut(f["name"], MAX_FIELD_NAME) or "-",
                "value": _cut(f["value"], MAX_FIELD_VALUE) or "-",
                "inline": f.get("inline", True),
            }
        )
    out["fields"] = fields
    while (excess := embed_size(out) - MAX_TOTAL) > 0:
        # Cut the longest text (in practice the sample errors or the stop reason) by the excess.
        pieces = [(out, "title"), (out, "description")] + ([(out["footer"], "text")] if "footer" in out else [])
        pieces += [(f, key) for f in fields for key in ("value", "name")]
        holder, key = max(pieces, key=lambda p: len(p[0][p[1]]))
        if len(holder[key]) <= 1:
            fields.pop()  # only one-character texts left: drop fields from the end
            continue
        holder[key] = _cut(holder[key], max(1, len(holder[key]) - excess))
    return out


def _with_wait(url: str) -> str:
    # ?wait=true makes Discord confirm the message was stored (200 with the message) instead of
    # answering 204 before it is; the URL may already carry a query (e.g. thread_id).
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "wait"]
    query.append(("wait", "true"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _retry_after(response: requests.Response) -> float | None:
    """Seconds Discord asked us to wait: the JSON `retry_after`, else the Retry-After header."""
    try:
        body = response.json()
        value = body.get("retry_after") if isinstance(body, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    except ValueError:
        pass
    return retry_after(response.headers.get("Retry-After"))


def _discord_message(response: requests.Response) -> str:
    try:
        body = response.json()
        message = body.get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    return f": {str(message)[:200]}" if message else ""


class _Retry(Exception):
    """An answer worth one more try after `wait` seconds (a 429 or a 5xx)."""

    def __init__(self, reason: str, wait: float):
        super().__init__(reason)
        self.reason, self.wait = reason, wait


def send(
    url: str,
    payload: dict,
    *,
    timeout: tuple[float, float] = TIMEOUT,
    attempts: int = ATTEMPTS,
    max_retry_wait: float = MAX_RETRY_WAIT,
    budget: float = RETRY_BUDGET,
) -> Delivery:
    """POST `payload` to the webhook `url` with ?wait=true; never raises, never logs the URL.

    A 429 is retried once after its `retry_after` (when that is at most `max_retry_wait`), a 5xx
    once after a short pause; any other 4xx, a timeout or a network error is final. No retry
    starts once `budget` seconds would have passed since the first try."""
    target = _with_wait(url)

    def post(session: requests.Session, attempt: int) -> Delivery:
        try:
            response = session.post(target, json=payload, timeout=timeout)
        except requests.Timeout:
            return Delivery(False, "the webhook did not answer in time", attempt)
        except requests.RequestException as exc:
            # The exception's text holds the URL (and so the token): name the kind only.
            return Delivery(False, f"the webhook could not be reached ({type(exc).__name__})", attempt)
        with response:
            if 200 <= response.status_code < 300:
                return Delivery(True, "sent", attempt)
            reason = f"HTTP {response.status_code}{_discord_message(response)}"
            if response.status_code == 429:
                wait = _retry_after(response)
                wait = 1.0 if wait is None else wait
                if wait > max_retry_wait:
                    return Delivery(False, f"{reason} (asked to wait {wait:g}s; not retried)", attempt)
                raise _Retry(reason, wait)
            if response.status_code >= 500:
                raise _Retry(reason, SERVER_ERROR_PAUSE)
            return Delivery(False, f"{reason} (not retried)", attempt)

    def over_budget(state: tenacity.RetryCallState) -> bool:
        return state.seconds_since_start + state.upcoming_sleep > budget

    policy = retrying.policy(
        stop=tenacity.stop_after_attempt(attempts) | over_budget,
        wait=lambda state: state.outcome.exception().wait,
        retry=tenacity.retry_if_exception_type(_Retry),
    )
    with requests.Session() as session:
        try:
            for attempt in policy:
                with attempt:
                    return post(session, attempt.retry_state.attempt_number)
        except _Retry as last:
            return Delivery(False, last.reason, policy.statistics.get("attempt_number", attempts))
    raise AssertionError("unreachable: the policy returns or re-raises")


def previous_outcome(conn, prefix: str, status: SyncStatus) -> str | None:
    """The outcome of the newest finished run of the same kind and marketplace before `status`
    (from staging's run history), or None when there is none or staging cannot say."""
    if conn is None or conn.closed:
        return None
    try:
        with conn, conn.cursor() as cur:
            run_model(
                cur,
                "previous_outcome",
                "staging",
                prefix,
                {
                    "kind": status.kind,
                    "marketplace": status.marketplace,
                    "run_id": status.run_id,
                    "started_at": status.started_at.replace(tzinfo=None),
                },
            )
            row = cur.fetchone()
    except psycopg2.Error as exc:
        log.warning(
            "could not read the previous run for DISCORD_NOTIFY_ON_CHANGE (%s); the report is sent", first_line(exc)
        )
        return None
    return row[0] if row else None


def notify(
    config: Config,
    status: SyncStatus,
    *,
    previous: str | None = None,
    embed: Callable[[SyncStatus], dict] | None = None,
    within: float | None = None,
) -> Delivery:
    """Send the report of a finished run (`embed` builds its embed, default the sync report's),
    unless no webhook is set or, with DISCORD_NOTIFY_ON_CHANGE, the colour equals the `previous`
    run's. Never raises. Every report goes out here, scrubbed by build_payload. `within`: seconds
    the whole delivery may take (a run stopped by SIGTERM has only a few)."""
    try:
        if not config.discord_webhook_url:
            log.info("DISCORD_WEBHOOK_URL is not set: no Discord notification")
            return Delivery(False, "no webhook configured")
        if config.notify_on_change_only and previous is not None and colour(previous) == colour(status.outcome):
            log.info(
                "Discord notification skipped: the outcome (%s) is the same as the previous %s run's",
                status.outcome,
                status.kind,
            )
            return Delivery(False, "outcome unchanged")
        log.debug("Sending Discord notification...")
        bounds = {}
        if within is not None:
            bounds = {
                "timeout": (min(TIMEOUT[0], within / 2), min(TIMEOUT[1], within / 2)),
                "budget": min(RETRY_BUDGET, within / 2),
            }
        delivery = send(config.discord_webhook_url, build_payload(status, config.secrets(), embed=embed), **bounds)
    except Exception as exc:  # the report must never break the sync it reports on
        log.warning("Discord notification failed: %s", type(exc).__name__)
        return Delivery(False, f"internal error ({type(exc).__name__})")
    if delivery.sent:
        log.debug("Discord notification sent")
    else:
        log.warning("Discord notification failed after %d attempt(s): %s", delivery.attempts, delivery.reason)
    return delivery
