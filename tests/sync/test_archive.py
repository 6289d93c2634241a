"""The landing archive on file:// (LANDING_ARCHIVE_URL) and the landing's retention
(LANDING_RETENTION_DAYS): what the syncs write, what analysts read with DuckDB, what is pruned."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from extract.archive import landing_tables
from extract.landing import FILE_NAME
from sync import config as config_mod
from sync import logs
from sync.hourly import run_hourly
from tests.conftest import ROOT, new_prefix
from tests.helpers import Db, environment, kept_logging, migrate_targets, run_cli, seed

FIRST, SECOND = ["B0ARCH0001", "B0ARCH0002"], ["B0ARCH0003"]


def parquet_files(root: Path, table: str) -> list[Path]:
    return sorted((root / "landing" / table).glob("*.parquet"))


@pytest.fixture(scope="module")
def executions(pg_server, databases, sandbox_api, tmp_path_factory) -> Iterator[dict]:
    """Two hourly syncs as two Cloud Run Job executions (each a fresh LANDING_DIR) archiving to one
    file:// directory. Built once for the module; the tests only read what it left."""
    tmp = tmp_path_factory.mktemp("archived")
    archive = tmp / "archive"
    env = {
        **environment(pg_server, databases, sandbox_api.base_url, new_prefix(), tmp / "execution1"),
        "LANDING_ARCHIVE_URL": f"file://{archive}",
    }
    migrated = migrate_targets(config_mod.load(env, needs=["db", "api", "http"]))
    staging = Db(migrated, "staging")
    sandbox_api.reset()
    with kept_logging():
        logs.setup(stream=io.StringIO())
        seed(staging, FIRST)
        first = run_hourly(migrated, "us")
        seed(staging, SECOND)
        env2 = {**env, "LANDING_DIR": str(tmp / "execution2")}
        second = run_hourly(config_mod.load(env2, needs=["db", "api", "http"]), "us")
    yield {"env": env2, "archive": archive, "runs": [first, second], "staging": staging, "tmp": tmp}
    staging.close()


def plain_tables() -> dict[str, str]:
    """The archived tables every load of a run without family sharing has rows in (the variation
    families' tables have none then, and a table without rows in a load gets no file)."""
    return {k: v for k, v in landing_tables().items() if v not in ("sales_provenance", "family_audits")}


def test_each_execution_archived_its_load_and_nothing_waits(executions):
    first, second = executions["runs"]
    for status in (first, second):
        assert status.outcome == "success" and status.warnings == []
        assert status.archive == {
            "url": f"file://{executions['archive']}",
            "files": 5,
            "loads": 1,
            "pending_loads": 0,
        }
    for table in plain_tables().values():
        names = [p.name for p in parquet_files(executions["archive"], table)]
        assert [n.rsplit(".", 2)[0] for n in names] == [first.landing["load_id"], second.landing["load_id"]], table
    assert executions["staging"].scalar('SELECT count(*) FROM "{p}jssync_archive_pending"') == 0


def test_columns_and_types_are_the_landing_files_and_rows_carry_their_load_id(executions):
    archive, (_, second) = executions["archive"], executions["runs"]
    landing_file = Path(executions["env"]["LANDING_DIR"]) / FILE_NAME
    with duckdb.connect(str(landing_file), read_only=True) as con:
        for source, table in plain_tables().items():
            (path,) = [p for p in parquet_files(archive, table) if p.name.startswith(second.landing["load_id"] + ".")]
            landed = con.execute(f"DESCRIBE landing.{source}").fetchall()
            archived = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
            assert [c[:2] for c in archived] == [c[:2] for c in landed], table
            column = "load_id" if source == "_dlt_loads" else "_dlt_load_id"
            assert con.execute(f"SELECT DISTINCT {column} FROM read_parquet('{path}')").fetchall() == [
                (second.landing["load_id"],)
            ]
            assert (
                con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
                == con.execute(
                    f"SELECT count(*) FROM landing.{source} WHERE {column} = $id", {"id": second.landing["load_id"]}
                ).fetchall()
            )


def test_the_archive_holds_what_staging_merged(executions):
    staging, archive = executions["staging"], executions["archive"]
    sales = duckdb.sql(f"SELECT count(*) FROM read_parquet('{archive}/landing/sales_estimates/*.parquet')")
    products = duckdb.sql(f"SELECT count(*) FROM read_parquet('{archive}/landing/products/*.parquet')")
    assert sales.fetchall()[0][0] == staging.scalar('SELECT count(*) FROM "{p}jungle_scout_sales_estimate_data"')
    assert products.fetchall()[0][0] == staging.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 3


def readme_example() -> str:
    """The README's example question over the archive (an ASIN's price and units, 90 days)."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- example: archive -->\s*```sql\n(.*?)```", text, re.S)
    assert block, "README.md lost its archive example"
    return block.group(1)


def test_archive_sql_pasted_into_duckdb_answers_the_readme_example(executions):
    result = run_cli(["landing", "--archive"], executions["env"])
    assert result.returncode == 0, result.stderr
    sql = result.stdout
    assert "read_parquet(" in sql and "CREATE OR REPLACE VIEW landing.daily_sales" in sql
    for view in ("latest_products", "daily_sales", "runs"):  # the landing file's own definitions
        assert (ROOT / "sql/landing/views" / f"{view}.sql").read_text().strip() in sql
    example = readme_example()
    asin = re.search(r"asin = '(\w+)'", example).group(1)
    with duckdb.connect() as con:
        con.execute(sql)
        rows = con.execute(example.replace(asin, FIRST[0])).fetchall()
        runs = con.execute("SELECT run_id FROM landing.runs ORDER BY load_id").fetchall()
    expected = executions["staging"].rows(
        "SELECT date, estimated_units_sold, last_known_price::float8 "
        'FROM "{p}jungle_scout_sales_estimate_data" '
        "WHERE asin = %s AND date > current_date - 90 ORDER BY date",
        (FIRST[0],),
    )
    assert len(expected) == 89  # yesterday and the 88 days before
    assert [tuple(r[:3]) for r in rows] == [tuple(r) for r in expected]
    assert [r[0] for r in runs] == [s.run_id for s in executions["runs"]]


def test_from_archive_builds_the_tables_and_views_since_a_day(executions, tmp_path):
    first, second = executions["runs"]
    target = tmp_path / "offline.duckdb"
    result = run_cli(["landing", "--from-archive", str(target)], executions["env"])
    assert result.returncode == 0, result.stderr
    assert f"Built {target}" in result.stdout and "landing.sales_estimates:" in result.stdout
    with duckdb.connect(str(target), read_only=True) as con:
        views = {
            r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE schema_name = 'landing'").fetchall()
        }
        assert {"latest_products", "daily_sales", "runs"} <= views
        assert con.execute("SELECT count(*) FROM landing.latest_products").fetchall() == [(3,)]
        assert [r[0] for r in con.execute("SELECT run_id FROM landing.runs ORDER BY load_id").fetchall()] == [
            first.run_id,
            second.run_id,
        ]
    # The closing line names the views the file holds, as `jssync landing` lists them.
    named = result.stdout.split("with the views ", 1)[1].split(".\n", 1)[0].replace(" and ", ", ").split(", ")
    assert sorted(named) == sorted(f"landing.{v}" for v in views)
    day = first.started_at.date().isoformat()
    later = run_cli(["landing", "--from-archive", str(target), "--since", "2999-01-01"], executions["env"])
    assert later.returncode == 0 and "no load found" in later.stdout
    since = run_cli(["landing", "--from-archive", str(target), "--since", day], executions["env"])
    assert since.returncode == 0, since.stderr
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT _dlt_load_id) FROM landing.sales_estimates").fetchall() == [(2,)]


def test_the_archive_holds_no_secret(executions):
    cfg = config_mod.load(executions["env"], needs=["db", "api", "http"])
    secrets = [s.encode() for s in cfg.secrets()]
    assert secrets
    for path in executions["archive"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in secrets if s in data], path


def test_archive_options_without_an_archive_or_misused(executions, tmp_path):
    unset = {k: v for k, v in executions["env"].items() if k != "LANDING_ARCHIVE_URL"}
    plain = run_cli(["landing"], executions["env"])
    assert plain.returncode == 0 and f"Archive: file://{executions['archive']} (LANDING_ARCHIVE_URL;" in plain.stdout
    result = run_cli(["landing", "--archive"], unset)
    assert result.returncode == 2 and "LANDING_ARCHIVE_URL is not set" in result.stderr
    result = run_cli(["landing", "--since", "2026-01-01"], executions["env"])
    assert result.returncode == 2 and "--since goes with --from-archive" in result.stderr
    result = run_cli(["landing", "--from-archive", str(tmp_path / "x.duckdb"), "--since", "01/02/2026"], unset)
    assert result.returncode == 2 and "is not a day: use YYYY-MM-DD" in result.stderr


# -- retention ------------------------------------------------------------------------------------


def landed_loads(landing_dir: Path) -> set[str]:
    with duckdb.connect(str(landing_dir / FILE_NAME), read_only=True) as con:
        ids = {r[0] for r in con.execute("SELECT load_id FROM landing._dlt_loads").fetchall()}
        for table in ("products", "sales_estimates", "asin_outcomes", "sync_batches"):
            assert {r[0] for r in con.execute(f"SELECT DISTINCT _dlt_load_id FROM landing.{table}").fetchall()} <= ids
        return ids


def test_retention_prunes_old_loads_but_never_one_pending_for_the_archive(env, migrated, staging, tmp_path):
    """One persistent LANDING_DIR. LANDING_RETENTION_DAYS=0 keeps only the running sync's loads and
    those the archive still waits for; the archive is a file where a directory should be (down)."""
    broken = tmp_path / "not-a-directory"
    broken.write_text("")
    down = {**env, "LANDING_RETENTION_DAYS": "0", "LANDING_ARCHIVE_URL": f"file://{broken}/archive"}
    seed(staging, ["B0KEEP0001"])
    a = run_hourly(config_mod.load(down, needs=["db", "api", "http"]), "us")
    seed(staging, ["B0KEEP0002"])
    b = run_hourly(config_mod.load(down, needs=["db", "api", "http"]), "us")
    assert a.archive["pending_loads"] == 1 and b.archive["pending_loads"] == 2
    assert b.warnings == ["archive behind: 2 loads"] and b.landing["pruned_loads"] == 0
    landing_dir = Path(env["LANDING_DIR"])
    assert landed_loads(landing_dir) == {a.landing["load_id"], b.landing["load_id"]}  # a is pending: kept

    up = {**down, "LANDING_ARCHIVE_URL": f"file://{tmp_path / 'archive'}"}
    seed(staging, ["B0KEEP0003"])
    c = run_hourly(config_mod.load(up, needs=["db", "api", "http"]), "us")
    assert c.archive["loads"] == 3 and c.archive["pending_loads"] == 0 and c.warnings == []
    assert c.landing["pruned_loads"] == 2
    assert landed_loads(landing_dir) == {c.landing["load_id"]}
    with duckdb.connect() as con:
        archived = con.execute(
            f"SELECT DISTINCT _dlt_load_id FROM read_parquet('{tmp_path}/archive/landing/sync_batches/*.parquet')"
        ).fetchall()
    assert {r[0] for r in archived} == {a.landing["load_id"], b.landing["load_id"], c.landing["load_id"]}


# -- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("ftp://host/x", "ftp:// is not supported"),
        ("archive/relative", "no scheme is not supported"),
        ("file://host/x", "has no host"),
        ("file:///", "not the filesystem root"),
        ("gs://", "needs a bucket name"),
        ("s3://UPPER_case/x", "needs a bucket name"),
        ("gs://bucket/a/../b", "may not contain '..'"),
        ("gs://someone:hunter22@bucket/x", "gs:// takes no credentials in the URL"),
    ],
)
def test_an_invalid_archive_url_says_what_is_allowed(url, said):
    with pytest.raises(config_mod.ConfigError) as err:
        config_mod.load({"LANDING_ARCHIVE_URL": url}, needs=[])
    assert said in str(err.value) and "gs://bucket[/path]" in str(err.value)


def test_credentials_in_an_archive_url_are_never_shown():
    secret = "s3cr3t-Key/With+Chars"
    url = f"s3://AKIAEXAMPLE123:{secret.replace('/', '%2F').replace('+', '%2B')}@my-bucket/landing-archive"
    cfg = config_mod.load({"LANDING_ARCHIVE_URL": url}, needs=[])
    assert cfg.landing_archive.public == "s3://my-bucket/landing-archive"
    assert secret in cfg.secrets() and "AKIAEXAMPLE123" in cfg.secrets()
    assert secret not in repr(cfg) and "AKIAEXAMPLE123" not in repr(cfg)
    with pytest.raises(config_mod.ConfigError) as err:
        config_mod.load(
            {"LANDING_ARCHIVE_URL": url.replace("s3://", "ftp://"), "LANDING_RETENTION_DAYS": "-1"}, needs=[]
        )
    assert "AKIAEXAMPLE123" not in str(err.value) and "LANDING_RETENTION_DAYS='-1' is invalid" in str(err.value)


def test_archive_sql_defines_the_shared_sales_view_once_provenance_is_archived(tmp_path):
    """A view over another view: shared_sales reads daily_sales (a view) and sales_provenance; with
    both archived, `jssync landing --archive` defines it (it used to wait for daily_sales forever)."""
    load = "1767225600.5"
    root = tmp_path / "archive"
    for table in ("sales_estimates", "sales_provenance"):
        (root / "landing" / table).mkdir(parents=True)
    with duckdb.connect() as con:
        con.sql(
            "SELECT asin, 'us' AS marketplace, DATE '2026-01-01' AS date, 7 AS estimated_units_sold, "
            f"CAST(NULL AS DOUBLE) AS last_known_price, 'B0PARENT01' AS parent_asin, '{load}' AS _dlt_load_id "
            "FROM (VALUES ('B0SOURCE01'), ('B0MEMBER01')) AS t(asin)"
        ).write_parquet(str(root / "landing" / "sales_estimates" / f"{load}.a1.parquet"))
        con.sql(
            "SELECT 'B0MEMBER01' AS asin, 'us' AS marketplace, DATE '2026-01-01' AS first_date, "
            f"DATE '2026-01-01' AS last_date, 'B0SOURCE01' AS source_asin, '{load}' AS _dlt_load_id"
        ).write_parquet(str(root / "landing" / "sales_provenance" / f"{load}.b2.parquet"))
    env = {"LANDING_ARCHIVE_URL": f"file://{root}", "LANDING_DIR": str(tmp_path / "landing")}
    result = run_cli(["landing", "--archive"], env)
    assert result.returncode == 0, result.stderr
    assert "shared_sales waits for" not in result.stdout
    with duckdb.connect() as con:
        con.execute(result.stdout)
        rows = con.execute("SELECT asin, source_asin, estimated_units_sold FROM landing.shared_sales").fetchall()
    assert rows == [("B0MEMBER01", "B0SOURCE01", 7)]
