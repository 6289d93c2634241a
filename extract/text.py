"""What an error may say: secrets scrubbed, one line, and the wait a server asked for.

The one home of these rules for every layer (the API client, the logs, the status object, the
Discord report); it sits in the lowest package so every other one can use it.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Iterable

REDACTED = "***"
_SECONDS = re.compile(r"\d+(\.\d+)?")


class Scrubber:
    """Replaces every one of `secrets` (longest first, so a key inside a longer secret goes with
    it) by *** in a text, or in every text of a JSON-like value."""

    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def value(self, value: object) -> object:
        """`value` (str, dict, list, anything else) with every string in it scrubbed."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each of `secrets` replaced by ***."""
    return Scrubber(secrets)(text)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (libpq and DuckDB add multi-line detail), or
    the exception's type when it has no message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def retry_after(header: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), never negative;
    None when the header is missing or unreadable."""
    header = (header or "").strip()
    if not header:
        return None
    if _SECONDS.fullmatch(header):
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())
