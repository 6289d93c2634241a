"""`make demo`: a real hourly sync on this machine, nothing but Python needed.

PostgreSQL: 127.0.0.1:5432 when it answers (or TEST_DATABASE_URL), else an embedded one that
stays running afterwards so the data can be inspected. The Jungle Scout API: the sandbox, with
the real rate limits. Everything else is the production code path (`jssync hourly`).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from loaders.connections import connection
from loaders.migrate import migrate
from loaders.render import render
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer, create_database, find_or_start
from sync import config as config_mod
from sync import logs
from sync.hourly import run_hourly

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
DEMO_PORT = 8765
# 20 visible ASINs: most known, two unknown to Jungle Scout, one without rank data; one hidden.
VISIBLE = [f"B0DEMO{i:04d}" for i in range(1, 18)] + ["B0ZZDEMO01", "B0ZZDEMO02", "B0NRDEMO01"]
HIDDEN = ["B0DEMOHID1"]


def _port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return 0


def _demo_token(secret: str) -> str:
    """An admin JWT for the demo's own secret, valid 12 hours (the page takes it from the fragment)."""
    import time

    import jwt

    return jwt.encode({"sub": "demo", "role": "admin", "exp": int(time.time()) + 12 * 3600}, secret, algorithm="HS256")


def _environment(server: PgServer, sandbox: Sandbox) -> dict[str, str]:
    env = {
        "JUNGLE_SCOUT_API_KEY": "demo-key",
        "JUNGLE_SCOUT_API_KEY_NAME": "demo",
        "JUNGLE_SCOUT_BASE_URL": sandbox.base_url,
        "LANDING_DIR": str(LOCAL / "demo" / "landing"),
        "JWT_SECRET": "demo-jwt-secret-change-me-0123456789",
        "SYNC_API_KEY": "demo-sync-key-change-me-0123",
        "PORT": "8080",
    }
    return env | server.db_env(
        {"staging": "jssync_demo_staging", "production": "jssync_demo_production"},
        {"staging": "dev_az_", "production": "prod_az_"},
    )


def _seed(cfg: config_mod.Config) -> None:
    s = cfg.staging
    with connection(s, application_name="jssync-demo") as conn, conn, conn.cursor() as cur:
        cur.execute(render("fixtures/product.sql", "staging", s.prefix))
        for asin in VISIBLE + HIDDEN:
            cur.execute(
                render("fixtures/seed_product.sql", "staging", s.prefix), {"asin": asin, "visible": asin not in HIDDEN}
            )


def _count(settings, table: str) -> int:
    from psycopg2 import sql

    with connection(settings, application_name="jssync-demo") as conn, conn, conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(settings.prefix + table)))
        return cur.fetchone()[0]


def main() -> int:
    """Set everything up, run one hourly sync, print the report and where to look."""
    LOCAL.mkdir(exist_ok=True)
    server = find_or_start(LOCAL / "pg")
    where = "embedded PostgreSQL" if server.embedded else "PostgreSQL"
    print(f"==> {where} at {server.host}:{server.port}")
    for name in ("jssync_demo_staging", "jssync_demo_production"):
        create_database(server, name)  # fresh each time: the demo is repeatable
    with Sandbox(port=_port(DEMO_PORT)) as sandbox:
        print(f"==> Jungle Scout sandbox at {sandbox.base_url} (300 requests/min, 15/s)")
        env = _environment(server, sandbox)
        cfg = config_mod.load(env, needs=["db", "api", "http"])
        for settings in (cfg.staging, cfg.production):
            result = migrate(settings)
            print(f"==> migrated {settings.target}: {len(result.applied)} migrations")
        _seed(cfg)
        print(f"==> seeded dev_az_product with {len(VISIBLE)} visible and {len(HIDDEN)} hidden ASINs")
        print("==> jssync hourly --debug\n")
        logs.setup(debug=True, secrets=cfg.secrets(), json_lines=False)
        status = run_hourly(cfg, "us", debug=True)
        print("\n==> status object (jssync hourly --json)")
        print(json.dumps(status.as_dict(), indent=2))
    env_file = LOCAL / "demo" / "demo.env"
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
    rows = {
        t.target: {
            table: _count(t, table) for table in ("jungle_scout_product_data", "jungle_scout_sales_estimate_data")
        }
        for t in (cfg.staging, cfg.production)
    }
    print("\n==> rows now in both databases")
    for target, counts in rows.items():
        print(f"    {target:<10} " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    landing = Path(env["LANDING_DIR"]) / "jssync.duckdb"
    print(f"""
==> look at the data
    environment:  set -a; . {env_file.relative_to(ROOT)}; set +a
    landing file: .venv/bin/python -c "import duckdb; print(duckdb.connect('{landing.relative_to(ROOT)}', \\
read_only=True).sql('select asin, title, price from landing.products'))"
    staging:      psql "host={server.host} port={server.port} user={server.user} dbname=jssync_demo_staging" \\
                  -c 'select asin, has_product_data, has_sales_data, error from dev_az_jungle_scout_sync_status'
    production:   psql "host={server.host} port={server.port} user={server.user} dbname=jssync_demo_production" \\
                  -c 'select asin, report_date, title from prod_az_jungle_scout_product_data'
    sandbox API:  .venv/bin/jssync sandbox --port {DEMO_PORT}   (the demo's own stopped with it)
    status:       .venv/bin/jssync serve, then
                  curl -H "X-API-KEY: $SYNC_API_KEY" localhost:8080/admin/hourly-sync/status
    dashboard:    .venv/bin/jssync serve, then open (signed in for 12 hours with the demo's JWT_SECRET)
                  http://localhost:8080/dashboard#token={_demo_token(env["JWT_SECRET"])}""")
    if server.embedded:
        print(
            f"    stop the embedded PostgreSQL: .venv/bin/python -m sandbox.postgres stop --data-dir "
            f"{(LOCAL / 'pg').relative_to(ROOT)}"
        )
    completed = (
        not status.stopped_early
        and status.successful_product_sync > 0
        and rows["production"]["jungle_scout_product_data"] > 0
    )
    print(f"\n==> hourly sync {'completed' if completed else 'FAILED'}")
    return 0 if completed else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
