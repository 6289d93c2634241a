"""The landing archive (LANDING_ARCHIVE_URL): every merged load's landed tables kept as Parquet
in a directory or bucket, written by dlt's filesystem destination, read by analysts with DuckDB.

Layout (dlt's): `{url}/landing/{table}/{load_id}.{file_id}.parquet`, one file per table and load,
`load_id` being the landing's load, the `_dlt_load_id` of every row in the file. The files are the
landing file's own rows written by DuckDB, so their columns and types are the landing tables'.
`landing_loads` holds dlt's record of each load (the landing's `_dlt_loads` row), which the
`runs` view reads. dlt's own bookkeeping of the archive sits beside them (`_dlt_loads`, ...).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jinja2

from extract import retrying
from extract.archive_url import ArchiveUrl
from extract.landing import DATASET, LANDING_SQL, VIEWS_DIR, create_views, statements
from extract.text import first_line

log = logging.getLogger("jssync.archive")

# The landing tables each merged load sends to the archive: the one list (add a table here).
ARCHIVED_TABLES: tuple[str, ...] = (
    "products",
    "sales_estimates",
    "asin_outcomes",
    "sync_batches",
    "sales_provenance",  # variation families: a load with shared rows, or audits, has these too
    "family_audits",
)
LOADS_TABLE = "landing_loads"  # the landing's `_dlt_loads` rows, under a name dlt does not own
PIPELINE = "jssync_archive"
LAYOUT = "{table_name}/{landing_load_id}.{file_id}.{ext}"  # dlt's default, the landing's load id
ATTEMPTS = 3  # per request to the object store: 0.5 s, then 1 s between (scaled in tests)
FIRST_PAUSE = 0.5
REQUEST_TIMEOUT = 120  # seconds one request may take (a large file's upload included)
_VIEW_READS = re.compile(r"\blanding\.(\w+)")


class ArchiveError(RuntimeError):
    """The archive could not be written or read (its text may hold a URL: scrub before showing)."""


@dataclass(frozen=True)
class ArchiveFile:
    """One table of one load, as a Parquet file on the local disk."""

    table: str  # its name in the archive
    path: Path
    rows: int


def landing_tables() -> dict[str, str]:
    """Landing table -> its name in the archive, every archived table of a load."""
    return {**{name: name for name in ARCHIVED_TABLES}, "_dlt_loads": LOADS_TABLE}


def export_load(file: Path, load_id: str, directory: Path) -> list[ArchiveFile]:
    """Write each landing table's rows of one load as a Parquet file (zstd) into `directory`;
    a table without rows in this load (or not landed yet) gets no file."""
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    files = []
    with duckdb.connect(str(file)) as con:
        for source, name in landing_tables().items():
            try:
                relation = con.table(f"{DATASET}.{source}")
            except duckdb.CatalogException:
                continue  # dlt creates a table with its first row
            column = "load_id" if source == "_dlt_loads" else "_dlt_load_id"
            path = directory / f"{name}.parquet"
            relation.filter(duckdb.ColumnExpression(column) == duckdb.ConstantExpression(load_id)).write_parquet(
                str(path), compression="zstd"
            )
            rows = pq.read_metadata(path).num_rows
            if rows:
                files.append(ArchiveFile(name, path, rows))
            else:
                path.unlink()
    return files


def load_time(load_id: str) -> float:
    """When a load landed (dlt's load ids are UNIX timestamps)."""
    return float(load_id)


def _load_of(path: str) -> str:
    # {load_id}.{file_id}.parquet, the load id itself holding one dot
    return path.rsplit("/", 1)[-1].rsplit(".", 2)[0]


class Archive:
    """The archive at one URL: upload a load, list and remove its files, read it."""

    def __init__(self, url: ArchiveUrl, work_dir: Path):
        self.url = url
        self.work_dir = Path(work_dir)  # dlt's state of the archive pipeline
        self._fs = None
        self._dlt = None
        self._load_id = ""
        _register_filesystem(url.scheme)

    @property
    def fs(self):
        """The fsspec filesystem of the archive (the same settings as dlt's)."""
        if self._fs is None:
            import fsspec

            # No listing cache: dlt writes through an instance of its own, so a cached listing of
            # this one would miss its files.
            options = {**_fs_kwargs(self.url), "use_listings_cache": False, "skip_instance_cache": True}
            self._fs, _ = fsspec.core.url_to_fs(self.url.root, **options)
        return self._fs

    def table_dir(self, table: str) -> str:
        """The fsspec path of an archive table's folder."""
        return self.url.join(DATASET, table)

    def upload(self, load_id: str, files: Sequence[ArchiveFile], *, replace: bool = False) -> int:
        """Put one load's files into the archive through dlt; returns the files written. `replace`
        first removes what an earlier, failed attempt at this load may have left."""
        if replace:
            self.remove(load_id)
        pipeline = self._pipeline()
        if pipeline.has_pending_data:  # a killed attempt's package: the files come again from staging
            pipeline = self._pipeline(forget=True)
        self._load_id = load_id  # the layout's {landing_load_id} for every file of this run
        try:
            pipeline.run(_source(files))
        except Exception as exc:
            self._forget()  # its state holds nothing staging does not
            raise ArchiveError(f"the archive did not take load {load_id}: {_root_cause(exc)}") from exc
        return len(files)

    def _pipeline(self, *, forget: bool = False) -> object:
        """dlt's pipeline into the archive, made once: each upload names its load through the
        layout's placeholder, which reads the load being uploaded."""
        import dlt

        if forget:
            self._forget()
        if self._dlt is None:
            # Ours, not the user's to set: the archive keeps no state dlt must restore, and a run
            # trace per upload would only cost time.
            os.environ[f"{PIPELINE.upper()}__RESTORE_FROM_DESTINATION"] = "false"
            os.environ[f"{PIPELINE.upper()}__ENABLE_RUNTIME_TRACE"] = "false"
            destination = dlt.destinations.filesystem(
                bucket_url=self.url.root,
                credentials=_credentials(self.url),
                kwargs=_fs_kwargs(self.url),
                layout=LAYOUT,
                extra_placeholders={"landing_load_id": lambda *_: self._load_id},
            )
            self._dlt = dlt.pipeline(
                pipeline_name=PIPELINE, pipelines_dir=str(self.work_dir), destination=destination, dataset_name=DATASET
            )
        return self._dlt

    def _forget(self) -> None:
        shutil.rmtree(self.work_dir / PIPELINE, ignore_errors=True)
        self._dlt = None

    def remove(self, load_id: str) -> int:
        """Delete every file of one load from the archive; returns how many there were."""
        removed = 0
        for table in landing_tables().values():
            try:
                paths = self.fs.glob(f"{self.table_dir(table)}/{load_id}.*.parquet")
                for path in paths:
                    self.fs.rm(path)
            except FileNotFoundError:
                continue
            except Exception as exc:
                raise ArchiveError(f"could not remove load {load_id} from the archive: {_root_cause(exc)}") from exc
            removed += len(paths)
        return removed

    def listing(self, since: float | None = None) -> dict[str, list[str]]:
        """Archive table -> its files (fsspec paths), oldest load first; `since` (a UNIX time):
        only the loads landed then or later. Tables without a file are left out."""
        found = {}
        for table in landing_tables().values():
            try:
                paths = [p for p in self.fs.find(self.table_dir(table)) if p.endswith(".parquet")]
            except FileNotFoundError:
                continue
            except Exception as exc:
                raise ArchiveError(f"could not list the archive: {_root_cause(exc)}") from exc
            if since is not None:
                paths = [p for p in paths if load_time(_load_of(p)) >= since]
            if paths:
                found[table] = sorted(paths, key=lambda p: (load_time(_load_of(p)), p))
        return found

    def location(self, path: str) -> str:
        """An fsspec path as DuckDB reads it: a local path, or the URL with its scheme."""
        return path if self.url.scheme == "file" else f"{self.url.scheme}://{path}"

    def duckdb_sql(self) -> str:
        """DuckDB SQL defining the landing's tables over the archive's files (as views) and the
        analysts' views of sql/landing/views/ over them: to paste into `duckdb`."""
        listing = self.listing()
        sources = {
            landing: _literal(self.location(f"{self.table_dir(table)}/*.parquet"))
            for landing, table in landing_tables().items()
            if table in listing
        }
        script = render_landing_sql(sources, "VIEW", scheme=self.url.scheme, url=self.url.public, listing=listing)
        views, defined = [], set(sources)  # a view may read another (shared_sales reads daily_sales)
        for path in _view_files():
            text, name = path.read_text().strip(), path.name.removesuffix(".sql")
            missing = sorted(set(_VIEW_READS.findall(text)) - defined - {name})
            if missing:
                views.append(f"-- view landing.{name} waits for: {', '.join(missing)}")
            else:
                views.append(text)
                defined.add(name)
        return script.rstrip() + "\n\n" + "\n\n".join(views) + "\n"

    def build_local(self, target: Path, since: float | None = None) -> dict[str, int]:
        """Build a DuckDB file at `target` with the landing's tables (from the archive's files,
        of the loads since `since`) and the analysts' views; returns the rows per table."""
        listing = self.listing(since)
        target.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(prefix="jssync-archive-") as tmp:
            local = self._local_copies(listing, Path(tmp))
            names = {table: landing for landing, table in landing_tables().items()}
            sources = {names[table]: _literal(paths) for table, paths in local.items()}
            counts: dict[str, int] = {}
            with duckdb.connect(str(target)) as con:
                for statement in statements(render_landing_sql(sources, "TABLE")):
                    con.execute(statement)
                for landing in sources:
                    counts[landing] = con.table(f"{DATASET}.{landing}").aggregate("count(*)").fetchall()[0][0]
        create_views(target)
        return counts

    def _local_copies(self, listing: Mapping[str, list[str]], directory: Path) -> dict[str, list[str]]:
        if self.url.scheme == "file":
            return {table: list(paths) for table, paths in listing.items()}
        local: dict[str, list[str]] = {}
        remote: list[str] = []
        for table, paths in listing.items():
            (directory / table).mkdir()
            local[table] = [str(directory / table / p.rsplit("/", 1)[-1]) for p in paths]
            remote += paths
        try:
            self.fs.get(remote, [p for table in listing for p in local[table]])
        except Exception as exc:
            raise ArchiveError(f"could not read the archive: {_root_cause(exc)}") from exc
        return local


def render_landing_sql(sources: Mapping[str, str], kind: str, **context: object) -> str:
    """sql/landing/archive.sql for `sources` (landing table -> read_parquet's argument as SQL)."""
    template = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined).from_string(
        (LANDING_SQL / "archive.sql").read_text()
    )
    return template.render(sources=sources, kind=kind, **{"scheme": "file", "url": "", "listing": {}, **context})


def _view_files() -> list[Path]:
    return sorted((p for p in VIEWS_DIR.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)


def _literal(value: str | Sequence[str]) -> str:
    """A string or a list of strings as a DuckDB literal."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return "[" + ", ".join(_literal(v) for v in value) + "]"


def since_time(day: dt.date) -> float:
    """The UNIX time a `--since` day starts (UTC)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()


def _source(files: Sequence[ArchiveFile]) -> list[object]:
    """The load's Parquet files as dlt resources, one per table, each file imported as it is
    (DuckDB wrote it): dlt neither rewrites it nor touches its `_dlt_load_id`."""
    import dlt
    import pyarrow.parquet as pq
    from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns

    return [
        dlt.resource(
            [dlt.mark.with_file_import(str(file.path), "parquet", file.rows)],
            name=file.table,
            write_disposition="append",
            columns=py_arrow_to_table_schema_columns(pq.read_schema(file.path)),
        )
        for file in files
    ]


def _emulated(url: ArchiveUrl) -> bool:
    # Google's libraries' own switch for the GCS emulator (fake-gcs-server in the tests).
    return url.scheme == "gs" and bool(os.environ.get("STORAGE_EMULATOR_HOST"))


def _credentials(url: ArchiveUrl) -> object:
    """dlt's credentials: None lets dlt find them (the environment, Application Default
    Credentials on Cloud Run); the GCS emulator takes anonymous ones; an s3:// URL's own key
    (s3://KEY:SECRET@bucket) is given as it is."""
    if url.scheme == "s3" and url.key and url.secret:
        from dlt.common.configuration.specs.aws_credentials import AwsCredentials

        return AwsCredentials(aws_access_key_id=url.key, aws_secret_access_key=url.secret)
    if not _emulated(url):
        return None
    from dlt.common.configuration.specs.gcp_credentials import GcpDefaultCredentials, GcpServiceAccountCredentials
    from google.auth.credentials import AnonymousCredentials

    credentials = GcpServiceAccountCredentials()
    GcpDefaultCredentials.parse_native_representation(credentials, AnonymousCredentials())
    credentials.project_id = "emulator"
    return credentials


def _fs_kwargs(url: ArchiveUrl) -> dict:
    if url.scheme == "gs":
        return {"requests_timeout": REQUEST_TIMEOUT, **({"token": "anon"} if _emulated(url) else {})}
    if url.scheme == "s3":
        # botocore's own retries; s3fs's are its class attribute `retries` (see _s3_class), not
        # an argument: one given here reaches aiobotocore's session, which refuses it.
        timeouts = {"connect_timeout": 10, "read_timeout": REQUEST_TIMEOUT, "retries": {"max_attempts": ATTEMPTS}}
        keys = {"key": url.key, "secret": url.secret} if url.key and url.secret else {}
        return {"config_kwargs": timeouts, **keys}
    return {"auto_mkdir": True}


def _register_filesystem(scheme: str) -> None:
    """Check the object store's library is installed; for gs://, use ours (see _gcs_class)."""
    try:
        if scheme == "gs":
            import fsspec

            cls = _gcs_class()
            for protocol in ("gs", "gcs"):
                fsspec.register_implementation(protocol, cls, clobber=True)
        elif scheme == "s3":
            import fsspec

            fsspec.register_implementation("s3", _s3_class(), clobber=True)
    except ImportError as exc:
        extra = "gcs" if scheme == "gs" else "s3"
        raise ArchiveError(
            f"a {scheme}:// archive needs the {exc.name} package: install jssync with its {extra} extra "
            f"(pip install 'jssync[{extra}]')"
        ) from exc


_S3_CLASS: type | None = None


def _s3_class() -> type:
    """s3fs's filesystem with the project's number of tries per request (s3fs's own is 5, a class
    attribute; passing `retries` as an argument breaks every request)."""
    global _S3_CLASS
    if _S3_CLASS is None:
        import s3fs

        _S3_CLASS = type("S3FileSystem", (s3fs.S3FileSystem,), {"retries": ATTEMPTS})
    return _S3_CLASS


_GCS_CLASS: type | None = None


def _gcs_class() -> type:
    """gcsfs's JSON-API filesystem (never its gRPC variant, whose bucket-type probe waits about a
    minute where gRPC does not answer, an emulator included), each request retried by the
    project's policy: gcsfs retries 6 times over about 17 s, a fixed policy no setting changes,
    which would hold every run that long while the archive is down."""
    global _GCS_CLASS
    if _GCS_CLASS is not None:
        return _GCS_CLASS
    import gcsfs.core
    import gcsfs.retry
    import tenacity

    unretried = gcsfs.core.GCSFileSystem._request.__wrapped__

    def retriable(exc: BaseException) -> bool:
        status = getattr(exc, "code", None) or getattr(exc, "status", None)
        return status != 404 and gcsfs.retry.is_retriable(exc)

    class GcsFileSystem(gcsfs.core.GCSFileSystem):
        async def _request(self, *args: object, **kwargs: object) -> object:
            policy = retrying.async_policy(
                stop=tenacity.stop_after_attempt(ATTEMPTS),
                wait=tenacity.wait_exponential(multiplier=FIRST_PAUSE, min=FIRST_PAUSE),
                retry=tenacity.retry_if_exception(retriable),
            )
            async for attempt in policy:
                with attempt:
                    return await unretried(self, *args, **kwargs)
            raise AssertionError("unreachable: the policy re-raises the last error")

    _GCS_CLASS = GcsFileSystem
    return GcsFileSystem


def _root_cause(exc: BaseException) -> str:
    seen = exc
    while seen.__cause__ is not None:
        seen = seen.__cause__
    return first_line(seen)
