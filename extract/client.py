"""The Jungle Scout API client: headers, paging, retries and the shared rate limiter."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlparse

import requests
import tenacity
from requests.adapters import HTTPAdapter

from extract import settings
from extract.ratelimit import RateLimiter
from extract.retrying import policy
from extract.stopping import RunStop
from extract.text import retry_after, scrub

_RETRY_AT = re.compile(r"retry again at\s+([0-9T:\-\.\+ Z]+)", re.IGNORECASE)
# Pages of one product query: 100 ASINs at 100 a page is one page, so more than this many
# means the server keeps sending cursors; stop instead of paging (and paying) forever.
MAX_PRODUCT_PAGES = settings.PRODUCT_BATCH_SIZE + 1


class ApiError(Exception):
    """A request that failed for good. `category` is api (HTTP, network) or parse (body).
    `attempted` False: nothing was learnt about the ASINs (the monthly budget refused the
    request), so it is no failure of theirs."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        category: str = "api",
        attempted: bool = True,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.category = category
        self.attempted = attempted


@dataclass
class ApiUsage:
    """Requests sent this run, retries and 429s included (Jungle Scout bills each one)."""

    requests: Counter = field(default_factory=Counter)  # endpoint -> requests sent
    retries: Counter = field(default_factory=Counter)  # endpoint -> of which retries
    rate_limited: Counter = field(default_factory=Counter)  # endpoint -> 429 answers
    errors: Counter = field(default_factory=Counter)  # endpoint -> failed answers
    # (UTC day, endpoint) -> Counter of requests/retries/rate_limited/errors, for the ledger:
    # a run that spans midnight bills two days.
    daily: dict = field(default_factory=dict)
    # The configured rate, reported as the effective one until a limiter is attached (no request).
    rate_per_minute: int | None = None
    limiter: RateLimiter | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sent(self, endpoint: str, *, retry: bool) -> None:
        """Count one request as it is sent: billed whether or not its answer is ever read (a
        stopping run abandons the requests in flight)."""
        day = dt.datetime.now(dt.UTC).date()
        with self._lock:
            counts = self.daily.setdefault((day, endpoint), Counter())
            self.requests[endpoint] += 1
            counts["requests"] += 1
            if retry:
                self.retries[endpoint] += 1
                counts["retries"] += 1

    def answered(self, endpoint: str, *, status: int | None, error: bool | None = None) -> None:
        """Count how a sent request ended. `error` defaults to: no answer, or an HTTP status >=
        400 other than 429; pass False for an error status that is a normal answer."""
        if error is None:
            error = status is None or (status >= 400 and status != 429)
        day = dt.datetime.now(dt.UTC).date()
        with self._lock:
            counts = self.daily.setdefault((day, endpoint), Counter())
            if status == 429:
                self.rate_limited[endpoint] += 1
                counts["rate_limited"] += 1
            elif error:
                self.errors[endpoint] += 1
                counts["errors"] += 1

    def ledger_rows(self) -> list[dict]:
        """One row per UTC day and endpoint: requests, retries, rate_limited, errors."""
        with self._lock:
            return [
                {
                    "day": day,
                    "endpoint": endpoint,
                    **{k: counts[k] for k in ("requests", "retries", "rate_limited", "errors")},
                }
                for (day, endpoint), counts in sorted(self.daily.items())
            ]

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def rates(self) -> dict[str, float]:
        """The limiter's rates per minute: configured, effective now (the run ends at it) and
        the lowest of the run (below configured: the API's real limit was lower)."""
        if self.limiter is not None:
            return {
                "configured_rate_per_minute": self.limiter.per_minute,
                "effective_rate_per_minute": round(self.limiter.rate, 1),
                "lowest_rate_per_minute": round(self.limiter.lowest, 1),
            }
        if self.rate_per_minute is not None:
            return {
                "configured_rate_per_minute": self.rate_per_minute,
                "effective_rate_per_minute": self.rate_per_minute,
                "lowest_rate_per_minute": self.rate_per_minute,
            }
        return {}

    def as_dict(self) -> dict[str, int | float]:
        with self._lock:
            counts = {
                "requests": sum(self.requests.values()),
                "product_requests": self.requests["products"],
                "sales_requests": self.requests["sales"],
                "retries": sum(self.retries.values()),
                "rate_limited": sum(self.rate_limited.values()),
                "errors": sum(self.errors.values()),
            }
        return {**counts, **self.rates()}


@dataclass(frozen=True)
class SalesAnswer:
    """Sales estimates for one ASIN: the raw items; `no_data` when the API has no rank data."""

    items: list[dict]
    no_data: bool = False


def _body_json(response: requests.Response) -> object:
    """The body as JSON, parsed by the standard library whatever `requests` would use: with
    simplejson installed (dlt brings it) response.json() refuses NaN/Infinity and a whole page of
    100 products would fail for one bad number; here the value reaches the per-ASIN checks.
    Raises ValueError for a body that is not JSON (too deeply nested included)."""
    try:
        return json.loads(response.content)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def retry_delay(response: requests.Response | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked us to wait: Retry-After (seconds or date) or a 'retry again at'."""
    if response is None:
        return None
    asked = retry_after(response.headers.get("Retry-After"), now)
    if asked is not None:
        return asked
    try:
        errors = _body_json(response).get("errors") or []
    except (ValueError, AttributeError):
        return None
    for error in errors if isinstance(errors, list) else []:
        match = _RETRY_AT.search(str((error or {}).get("detail", "")))
        if match:
            try:
                when = dt.datetime.fromisoformat(match.group(1).strip().replace("Z", "+00:00"))
            except ValueError:
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return max(0.0, when.timestamp() - now())
    return None


redact = scrub  # the one scrubbing rule, under the name this module's callers know


def auth_secrets(authorization: str) -> tuple[str, ...]:
    """What must never appear in a message: the Authorization value and the key after its ':'."""
    key = authorization.partition(":")[2].strip()
    return tuple(s for s in (authorization, authorization.strip(), key) if s)


def _error_code(response: requests.Response, secrets: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """The first JSON:API error's code and a short, secret-free description: server text
    never carries our own credentials into a message (a server may echo the request)."""
    try:
        errors = _body_json(response).get("errors") or []
        first = errors[0] if isinstance(errors, list) and errors else {}
    except (ValueError, AttributeError, IndexError):
        first = {}
    if not isinstance(first, dict):
        first = {}
    code = first.get("code")
    text = first.get("detail") or first.get("title") or response.reason or ""
    code = redact(str(code), secrets)[:100] if code else None
    return code, redact(str(text), secrets)[:200]


class _Retryable(Exception):
    """One failed attempt that the policy may retry (5xx, 429, timeout, connection error)."""

    def __init__(self, status: int | None, last: str, *, code: str | None = None, asked: float | None = None):
        super().__init__(last)
        self.status, self.last, self.code, self.asked = status, last, code, asked


@dataclass
class _Call:
    """The state of one request across its attempts."""

    sent: int = 0  # requests sent, 429s included
    failures: int = 0  # attempts used up (not 429s)
    rate_limited: int = 0  # 429 answers
    first_429: float | None = None  # monotonic time of the first 429
    last: str = ""  # the last failed attempt (not a 429), for a retry the budget refuses
    status: int | None = None

    def rate_limited_for(self) -> float:
        return 0.0 if self.first_429 is None else time.monotonic() - self.first_429


class JungleScoutClient:
    """Calls the two endpoints the service uses. Safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        authorization: str,
        limiter: RateLimiter,
        *,
        usage: ApiUsage | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
        attempts: int = settings.API_ATTEMPTS,
        backoff: float = settings.RETRY_BACKOFF,
        max_retry_wait: float = settings.MAX_RETRY_WAIT,
        rate_limit_wait: float = settings.RATE_LIMIT_WAIT,
        pool_size: int = 10,
        budget: object = None,
        stop: RunStop | None = None,
    ):
        self.budget = budget  # extract.budget.RequestBudget: asked before every request is sent
        # The run's stop: no request (nor retry) starts once it is asked or the deadline passed,
        # and the limiter's and the retries' waits end then (NotStarted; nothing was sent).
        self.stop = stop or RunStop()
        self._waits_on = stop  # the limiter waits on its own clock without a run's stop (tests' fake one)
        self.base_url = base_url.rstrip("/")
        self._authorization = authorization
        self._secrets = auth_secrets(authorization)
        self.limiter = limiter
        self.usage = usage or ApiUsage()
        if self.usage.limiter is None:
            self.usage.limiter = limiter  # the status reports the rate the run ended at
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.rate_limit_wait = rate_limit_wait
        # One session and one connection pool for the client's life, shared by every worker
        # thread and batch (urllib3's pool is thread-safe); pool_size caps the kept connections.
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "Authorization": self._authorization,
                "X-API-Type": settings.API_TYPE,
                "Accept": settings.ACCEPT,
            }
        )

    def __repr__(self) -> str:
        return f"JungleScoutClient({self.base_url!r})"

    def _session(self) -> requests.Session:
        return self.session

    def close(self) -> None:
        """Close the HTTP session and its pooled connections (the client's owner does, once)."""
        self.session.close()

    def __enter__(self) -> JungleScoutClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_same_origin(self, url: str) -> None:
        # links.next comes from the server: never send our key to another host.
        base, other = urlparse(self.base_url), urlparse(url)
        if (base.scheme, base.netloc) != (other.scheme, other.netloc):
            host = redact(other.netloc, self._secrets) or "none"
            raise ApiError(f"links.next points to another host ({host}); refusing to follow it", category="parse")

    def _request(
        self, endpoint: str, method: str, url: str, *, body: dict | None = None, what: str
    ) -> requests.Response:
        """Send with the retry policy (`_policy`): 5xx, timeouts and connection errors use up
        the request's attempts; a 429 never does, while the rate-limit wait allows; other 4xx
        are final."""
        call = _Call()
        try:
            return self._policy(call)(self._attempt, call, endpoint, method, url, body, what)
        except ApiError as exc:
            if not exc.attempted and call.failures:
                # The budget refused a retry of a request that had failed (5xx, timeout): that
                # failure is the ASIN's. A refusal after 429s only is still "not attempted".
                raise ApiError(
                    f"{what} failed after {call.sent} attempts: {call.last}; {exc}", status=call.status
                ) from None
            raise
        except _Retryable as exc:
            if exc.status == 429:
                raise ApiError(
                    f"{what} failed: still rate limited after {call.sent} attempts over "
                    f"{call.rate_limited_for():.0f} s (at most {self.rate_limit_wait:g} s "
                    f"of 429s per request): {exc.last}",
                    status=429,
                    code=exc.code,
                ) from None
            raise ApiError(
                f"{what} failed after {call.sent} attempts: {exc.last}", status=exc.status, code=exc.code
            ) from None

    def _policy(self, call: _Call) -> tenacity.Retrying:
        """The tenacity policy of one request. Stop: a failure that is not a 429 once `attempts`
        requests have failed so; a 429 once `rate_limit_wait` seconds have passed since this
        request's first 429. Wait: the server's Retry-After (or "retry again at") capped at
        `max_retry_wait`, else `backoff` doubling per failure; after a 429 the limiter already
        holds every caller (and has lowered its rate), so the policy adds no wait of its own.
        Built by extract.retrying.policy, so its sleeps follow the wait scale (0 in tests)."""

        def stop(state: tenacity.RetryCallState) -> bool:
            exc = state.outcome.exception()
            if exc.status == 429:
                return call.rate_limited_for() >= self.rate_limit_wait
            return call.failures >= self.attempts

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception()
            if exc.status == 429:
                return 0.0
            if exc.asked is not None:
                return min(self.max_retry_wait, exc.asked)
            return min(self.max_retry_wait, self.backoff * (2 ** (call.failures - 1)))

        return policy(retry=tenacity.retry_if_exception_type(_Retryable), stop=stop, wait=wait, waiter=self.stop.wait)

    def _attempt(
        self, call: _Call, endpoint: str, method: str, url: str, body: dict | None, what: str
    ) -> requests.Response:
        """One request: the response when it is usable, else _Retryable or a final ApiError."""
        self.limiter.acquire(self._waits_on)
        if self.budget is not None:
            self.budget.take(endpoint)  # never start a request the monthly budget can't hold
        retry = call.sent > 0
        self.stop.start(lambda: self.usage.sent(endpoint, retry=retry))  # counted as it goes out
        started = self.limiter.now()
        call.sent += 1
        response: requests.Response | None = None
        try:
            headers = {"Content-Type": settings.CONTENT_TYPE} if body is not None else None
            response = self._session().request(
                method, url, data=json.dumps(body) if body is not None else None, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            last = "timeout"
        except requests.ConnectionError:
            last = "connection error"
        except requests.RequestException as exc:
            last = f"request failed ({type(exc).__name__})"
        if response is None:
            self.usage.answered(endpoint, status=None)
            call.failures += 1
            call.last, call.status = last, None
            raise _Retryable(None, last)
        status = response.status_code
        if 200 <= status < 300:
            self.usage.answered(endpoint, status=status)
            self.limiter.succeeded()
            return response
        code, detail = _error_code(response, self._secrets)
        # No rank data is the API's normal answer for such an ASIN, not a failed request.
        no_data = status == 422 and code == settings.MISSING_RANK_DATA
        self.usage.answered(endpoint, status=status, error=not no_data)
        last = f"HTTP {status}" + (f" {code}" if code else "") + (f": {detail}" if detail else "")
        if no_data:
            self.limiter.succeeded()
            return response
        asked = retry_delay(response)
        response.close()
        if status == 429:
            # The API's real limit is below ours: hold everyone as asked, and lower the rate.
            if call.first_429 is None:
                call.first_429 = time.monotonic()
            fallback = self.backoff * (2 ** min(call.rate_limited, 10))
            call.rate_limited += 1
            pause = min(self.max_retry_wait, asked if asked is not None else fallback)
            self.limiter.rate_limited(started, pause)
            raise _Retryable(429, last, code=code)
        if status < 500:
            raise ApiError(f"{what} failed: {last}", status=status, code=code)
        call.failures += 1
        call.last, call.status = last, status
        raise _Retryable(status, last, code=code, asked=asked)

    @staticmethod
    def _json(response: requests.Response, what: str) -> dict:
        try:
            body = _body_json(response)
        except ValueError as exc:
            raise ApiError(
                f"{what}: the API answered a body that is not JSON", category="parse", status=response.status_code
            ) from exc
        finally:
            response.close()
        if not isinstance(body, dict):
            raise ApiError(f"{what}: the API answered JSON that is not an object", category="parse")
        return body

    def product_pages(self, asins: list[str], marketplace: str) -> Iterator[list[dict]]:
        """POST product_database_query for up to 100 ASINs; yield each page's `data` items."""
        if not 1 <= len(asins) <= settings.PRODUCT_BATCH_SIZE:
            raise ValueError(f"ask for 1 to {settings.PRODUCT_BATCH_SIZE} ASINs per call, not {len(asins)}")
        body = {
            "data": {
                "type": "product_database_query",
                "attributes": {
                    "include_keywords": list(asins),
                    "exclude_keywords": [],
                    "product_tiers": ["oversize", "standard"],
                    "seller_types": ["amz", "fba", "fbm"],
                },
            }
        }
        query = urlencode({"marketplace": marketplace, "page[size]": settings.PRODUCT_BATCH_SIZE})
        url: str | None = f"{self.base_url}/product_database_query?{query}"
        seen: set[str] = set()
        what = f"Product query for {len(asins)} ASINs"
        while url:
            if url in seen:
                raise ApiError(f"{what}: links.next repeats a page already read", category="parse")
            if len(seen) >= MAX_PRODUCT_PAGES:
                raise ApiError(
                    f"{what}: the API keeps sending links.next after {len(seen)} pages "
                    f"(at most {MAX_PRODUCT_PAGES} expected); refusing to page further",
                    category="parse",
                )
            seen.add(url)
            page = self._json(self._request("products", "POST", url, body=body, what=what), what)
            data = page.get("data")
            if not isinstance(data, list):
                raise ApiError(f"{what}: the answer has no `data` list", category="parse")
            links = page.get("links") if isinstance(page.get("links"), dict) else {}
            nxt = links.get("next")
            if nxt is not None and not isinstance(nxt, str):
                raise ApiError(f"{what}: links.next is not a URL", category="parse")
            if nxt and not data:
                raise ApiError(
                    f"{what}: page {len(seen)} is empty but links.next asks for another; refusing to page further",
                    category="parse",
                )
            yield data
            url = urljoin(self.base_url + "/", nxt) if nxt else None
            if url:
                self._check_same_origin(url)

    def sales_estimates(self, asin: str, marketplace: str, start: dt.date, end: dt.date) -> SalesAnswer:
        """GET sales_estimates_query for one ASIN and a date range, both ends included."""
        query = urlencode(
            {"marketplace": marketplace, "asin": asin, "start_date": start.isoformat(), "end_date": end.isoformat()}
        )
        what = f"Sales fetch for {asin}"
        response = self._request("sales", "GET", f"{self.base_url}/sales_estimates_query?{query}", what=what)
        if response.status_code == 422:
            response.close()
            return SalesAnswer(items=[], no_data=True)
        body = self._json(response, what)
        data = body.get("data")
        if not isinstance(data, list):
            raise ApiError(f"{what}: the answer has no `data` list", category="parse")
        return SalesAnswer(items=data)
