"""LANDING_ARCHIVE_URL: where every merged load's landed tables are kept as Parquet.

Parsed and checked here without importing dlt or an object store client, so the configuration
stays cheap to load. A URL may carry credentials (`s3://KEY:SECRET@bucket`, a signed query): they
are never shown; `public` is the URL as logs, the status and the report may print it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

SCHEMES = ("file", "gs", "s3")
# A bucket name as GCS and S3 allow it (lower-case letters, digits, - _ .; 3 to 222 characters).
_BUCKET_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


class ArchiveUrlError(ValueError):
    """What is wrong with a LANDING_ARCHIVE_URL and what is allowed (never the URL's secrets)."""


@dataclass(frozen=True)
class ArchiveUrl:
    """A validated archive URL: `scheme`, `bucket` (empty for file://), `path` (no trailing /)."""

    url: str = field(repr=False)  # as given, credentials included: for dlt and fsspec only
    scheme: str
    bucket: str
    path: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    # s3://KEY:SECRET@bucket: the access key the object store is given (percent-decoded), never
    # part of `root`, so no library sees it in a path, a bucket name or an error message.
    key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)

    @property
    def public(self) -> str:
        """The URL without credentials or query: what may be printed."""
        if self.scheme == "file":
            return f"file://{self.path}"
        return f"{self.scheme}://{self.bucket}{self.path}"

    @property
    def root(self) -> str:
        """The URL dlt's filesystem destination and fsspec are given (the archive's root): without
        credentials (s3fs and dlt take them as arguments, never from the URL) or query."""
        return self.public

    def join(self, *parts: str) -> str:
        """The fsspec path (no scheme for file://) of `parts` under the archive's root."""
        base = self.path if self.scheme == "file" else f"{self.bucket}{self.path}"
        return "/".join([base.rstrip("/"), *parts])


def url_secrets(raw: str) -> tuple[str, ...]:
    """The parts of an archive URL that are secret (user, password, both, query; as given and
    percent-decoded), also of a URL too malformed to parse; never raises."""
    try:
        parts = urlsplit(raw.strip())
        userinfo, query = parts.netloc.rpartition("@")[0], parts.query
    except ValueError:  # e.g. an unbalanced [ in the host: the user info is still before the @
        userinfo, query = raw.strip().partition("://")[2].split("/", 1)[0].rpartition("@")[0], ""
    user, _, password = userinfo.partition(":")
    found = tuple(s for s in (user, password, userinfo, query) if s and len(s) >= 4)
    return found + tuple(unquote(s) for s in found if unquote(s) != s)


def parse(raw: str) -> ArchiveUrl:
    """Check `raw` as a LANDING_ARCHIVE_URL; raises ArchiveUrlError saying what is allowed."""
    allowed = "a file:///absolute/path, gs://bucket[/path] or s3://bucket[/path] URL"
    try:
        parts = urlsplit(raw.strip())
        port = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise ArchiveUrlError(f"it is not a URL ({exc}); use {allowed}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"{scheme}://" if scheme else "no scheme"
        raise ArchiveUrlError(f"{shown} is not supported; use {allowed}")
    secrets = url_secrets(raw)
    path = "/" + parts.path.strip("/") if parts.path.strip("/") else ""
    if ".." in path.split("/"):
        raise ArchiveUrlError(f"its path may not contain '..'; use {allowed}")
    if scheme == "file":
        if parts.netloc or parts.query:
            raise ArchiveUrlError(f"a file:// URL has no host or query (file:///var/archive); use {allowed}")
        if not path:
            raise ArchiveUrlError(f"file:// needs an absolute directory, not the filesystem root; use {allowed}")
        return ArchiveUrl(url=raw.strip(), scheme=scheme, bucket="", path=path, secrets=secrets)
    bucket = parts.netloc.rpartition("@")[2]  # as given: a bucket name is lower-case, never folded
    if port is not None or not 3 <= len(bucket) <= 222 or not set(bucket) <= _BUCKET_CHARS:
        raise ArchiveUrlError(f"{scheme}:// needs a bucket name (3-222 of a-z 0-9 - _ .); use {allowed}")
    key = unquote(parts.username) if parts.username else None
    secret = unquote(parts.password) if parts.password else None
    if scheme == "gs" and (key or secret):
        raise ArchiveUrlError(
            "gs:// takes no credentials in the URL (Application Default Credentials or "
            f"GOOGLE_APPLICATION_CREDENTIALS give them); use {allowed}"
        )
    return ArchiveUrl(url=raw.strip(), scheme=scheme, bucket=bucket, path=path, secrets=secrets, key=key, secret=secret)
