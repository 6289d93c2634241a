"""Part `families` of `make bench` (issue 18): one sales call per group of variations sharing a rank.

1. Sample, through the real service: a catalogue shaped like the owner's at a hundredth (3,000
   visible ASINs: 1,900 variations of 700 families, 1,100 standalone) served by the sandbox
   (B0FS... families share a rank and answer the listing's units; B0FO... variations have ranks of
   their own), synced by a fresh master sync (`run_master`, 1 month of sales) with one sales call
   per ASIN and with family sharing at 100, 70 and 30 % of the families sharing a rank. Requests
   are counted by the sandbox; every ASIN's sales units and identity columns are compared with the
   per-ASIN run's, and every variation's product row with its own.
2. The owner's catalogue, 300,000 visible ASINs (190,000 variations of 70,000 families, 110,000
   standalone), its families as the product data would name them, counted by the plan's queries:
   requests per full refresh for one sales call per ASIN, for family sharing and for the owner's
   parent copy (one call per family); and 60 simulated days (`jssync plan --simulate-days`, the
   real selection with its groups) at a 30-day threshold, without a budget (requests per 30 days)
   and with 150,000 requests a month (the share fresh by day).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import API_KEY, UNLIMITED, Databases, bench_asins, sql_macros
from bench.freshness import start_of_next_month
from extract import settings
from extract.families import audit_count
from loaders import catalogue as catalogues
from loaders.connections import connection
from loaders.execute import run_model
from loaders.render import render
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer
from sync import config as config_mod
from sync import plan as plan_mod
from sync.master import run_master

SHARING = (100, 70, 30)  # % of the families whose variations share a rank
BUDGET = 150_000  # requests a month for the budgeted replay
GOAL = 0.5  # requests per visible ASIN per refresh at 70 % sharing
THRESHOLD = 30
_CODE = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclasses.dataclass(frozen=True)
class Shape:
    """A catalogue shaped like the owner's: `families` families holding `variations` variations
    (families of 3, the rest of 2), and `standalone` ASINs."""

    variations: int
    families: int
    standalone: int

    @property
    def visible(self) -> int:
        return self.variations + self.standalone

    def sizes(self) -> list[int]:
        threes = self.variations - 2 * self.families
        if not 0 <= threes <= self.families:
            raise ValueError(f"{self.variations} variations do not fit {self.families} families of 2 or 3")
        return [3 if f < threes else 2 for f in range(self.families)]


OWNER = Shape(variations=190_000, families=70_000, standalone=110_000)


def shares(family: int, percent: int) -> bool:
    """Whether family number `family` shares a rank when `percent` of the families do (every tenth
    family in ten is taken in turn, so both kinds hold families of both sizes)."""
    return family % 10 < percent // 10


def _code(n: int) -> str:
    out = ""
    for _ in range(4):
        n, digit = divmod(n, len(_CODE))
        out = _CODE[digit] + out
    return out


def per_refresh(shape: Shape, percent: int, audit_percent: float) -> dict[str, Any]:
    """Requests of one full refresh of `shape` (every ASIN's product data and sales fetched once),
    counted: one sales call per ASIN, family sharing, and the owner's parent copy."""
    sizes = shape.sizes()
    shared_families = sum(1 for f in range(shape.families) if shares(f, percent))
    shared_variations = sum(s for f, s in enumerate(sizes) if shares(f, percent))
    product = math.ceil(shape.visible / settings.PRODUCT_BATCH_SIZE)
    sharing = (
        product
        + shared_families
        + (shape.variations - shared_variations)
        + shape.standalone
        + audit_count(audit_percent, shared_variations - shared_families)
    )
    parents = shape.families + shape.standalone  # the owner's copy: its parents' product data and sales only
    out = {
        "per_asin": product + shape.visible,
        "sharing": sharing,
        "parent_copy": parents + math.ceil(parents / settings.PRODUCT_BATCH_SIZE),
    }
    out.update({f"{k}_per_visible_asin": round(v / shape.visible, 4) for k, v in list(out.items())})
    return out


# -- 1. the sample, through the real service ---------------------------------------------------


def _sample_asins(shape: Shape, percent: int) -> tuple[list[str], list[str]]:
    """(variations, standalone) of the sample: family f is B0FS (shared) or B0FO (own ranks)."""
    variations = []
    for f, size in enumerate(shape.sizes()):
        letter = "S" if shares(f, percent) else "O"
        variations += [f"B0F{letter}{_code(f)}{n:02d}" for n in range(1, size + 1)]
    return variations, bench_asins(shape.standalone, "ST")


def _sync(dbs: Databases, prefix: str, sandbox: Sandbox, asins: list[str], landing: Path, **changes: Any) -> dict:
    targets = dbs.migrated(prefix)
    with connection(targets["staging"]) as conn, conn, conn.cursor() as cur:
        cur.execute(render("fixtures/product.sql", "staging", prefix))
        cur.execute(sql_macros("checks.sql", prefix).seed_products(), {"asins": asins})
    env = {
        **dbs.env(prefix),
        "JUNGLE_SCOUT_API_KEY": API_KEY,
        "JUNGLE_SCOUT_BASE_URL": sandbox.base_url,
        "JUNGLE_SCOUT_RATE_PER_MINUTE": str(UNLIMITED["rate_per_minute"]),
        "JUNGLE_SCOUT_BURST_PER_SECOND": str(UNLIMITED["burst_per_second"]),
        "LANDING_DIR": str(landing),
    }
    cfg = dataclasses.replace(config_mod.load(env, needs=["db", "api"]), **changes)
    sandbox.reset()
    started = time.perf_counter()
    status = run_master(cfg, "us", mode="fresh", date_range="1month").as_master_dict()
    stats = sandbox.stats()
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "processed": status["processed_asins"],
        "failed": status["failed_asins"],
        "product_requests": stats["by_endpoint"]["products"],
        "sales_requests": stats["by_endpoint"]["sales"],
        "requests": stats["requests"],
        "sales_shared_asins": status["sales_shared_asins"],
        "family_audit": status["family_audit"],
    }


def _differences(dbs: Databases, base: str, prefix: str) -> dict[str, int]:
    """Rows of `prefix`'s staging that differ from `base`'s (the per-ASIN run)."""
    with connection(dbs.settings("staging", base)) as conn, conn, conn.cursor() as cur:
        cur.execute(sql_macros("families.sql", base).differences(prefix))
        names = [c.name for c in cur.description]
        return dict(zip(names, (int(v) for v in cur.fetchone()), strict=True))


def sample(server: PgServer, work: Path, shape: Shape, audit_percent: float, log: Callable[[str], None]) -> dict:
    """The sample catalogue synced per ASIN and with sharing at each level of SHARING."""
    runs = []
    with Databases(server, "fs") as dbs, Sandbox(**UNLIMITED) as sandbox:
        for percent in SHARING:
            variations, standalone = _sample_asins(shape, percent)
            asins = variations + standalone
            base = f"fs{percent}_off_"
            off = _sync(dbs, base, sandbox, asins, work / f"landing-{base}")
            on = _sync(
                dbs,
                f"fs{percent}_on_",
                sandbox,
                asins,
                work / f"landing-{percent}",
                sales_family_sharing=True,
                sales_family_audit_percent=audit_percent,
            )
            diff = _differences(dbs, base, f"fs{percent}_on_")
            row = {
                "sharing_percent": percent,
                "visible_asins": len(asins),
                "per_asin": off,
                "sharing": on,
                "requests_per_visible_asin": {
                    "per_asin": round(off["requests"] / len(asins), 4),
                    "sharing": round(on["requests"] / len(asins), 4),
                },
                "counted": per_refresh(shape, percent, audit_percent),
                "differences": diff,
                "exact": diff["units_or_identity"] == 0 and diff["product_rows"] == 0 and diff["prices"] == 0,
            }
            runs.append(row)
            log(
                f"  sample at {percent}% sharing: {off['requests']} requests with a sales call per ASIN, "
                f"{on['requests']} with sharing "
                f"({row['requests_per_visible_asin']['sharing']} per visible ASIN; counted "
                f"{row['counted']['sharing']}), {on['sales_shared_asins']} shared, audit {on['family_audit']}, "
                f"rows {'exact' if row['exact'] else 'DIFFER'} {diff}"
            )
    return {"shape": dataclasses.asdict(shape), "audit_percent": audit_percent, "runs": runs}


# -- 2. the owner's catalogue, counted and simulated --------------------------------------------


def _catalogue_rows(shape: Shape, now: dt.datetime, seed: int = 18) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(product, sync_status, family) rows: the units (a family, or a standalone ASIN) in a
    random order; a third of them never synced, the rest synced together over the 60 days before
    `now` (a family's members at one time)."""
    rng = random.Random(seed)
    units: list[tuple[int, int]] = [(f, size) for f, size in enumerate(shape.sizes())]
    units += [(-1 - s, 1) for s in range(shape.standalone)]
    rng.shuffle(units)
    products, status, family = [], [], []
    n = 0
    for unit, size in units:
        synced = None if rng.random() < 1 / 3 else now - dt.timedelta(seconds=rng.uniform(0, 60 * 86400))
        for member in range(size):
            n += 1
            asin = f"B{n:09d}"
            products.append((asin, "t"))
            created = now - dt.timedelta(days=400)
            status.append((asin, synced is not None, synced is not None, synced, synced, created))
            if unit >= 0:
                family.append((asin, (synced or now).date(), f"P{unit:09d}", unit, member))
            else:
                family.append((asin, (synced or now).date(), None, 3_000_000 + n, None))
    return products, status, family


def _copy(cur, table: str, columns: list[str], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    cur.copy_from(buffer, table, columns=columns)


def _build(dbs: Databases, prefix: str, shape: Shape, now: dt.datetime) -> None:
    products, status, family = _catalogue_rows(shape, now)
    with connection(dbs.settings("staging", prefix)) as conn, conn, conn.cursor() as cur:
        cur.execute(render("fixtures/product.sql", "staging", prefix))
        _copy(cur, f"{prefix}product", ["asin", "product_visibility"], products)
        _copy(
            cur,
            f"{prefix}jungle_scout_sync_status",
            [
                "asin",
                "has_product_data",
                "has_sales_data",
                "product_data_synced_at",
                "sales_estimate_data_synced_at",
                "created_at",
            ],
            status,
        )
        # Each ASIN's family as its product data will name it: (asin, report_date, parent, the
        # family's number (a standalone ASIN: a rank of its own), the member's index).
        cur.execute(sql_macros("families.sql", prefix).family_table())
        _copy(cur, f"{prefix}bench_family", ["asin", "report_date", "parent_asin", "family", "member"], family)
        cur.execute(f'ANALYZE "{prefix}product"')
        cur.execute(f'ANALYZE "{prefix}jungle_scout_sync_status"')


def _share(dbs: Databases, prefix: str, percent: int) -> None:
    """The product data of `percent` % of the families name one rank for all their variations."""
    with connection(dbs.settings("staging", prefix)) as conn, conn, conn.cursor() as cur:
        cur.execute(sql_macros("families.sql", prefix).ranks(), {"tenths": percent // 10})


def _counted(dbs: Databases, prefix: str, audit_percent: float) -> dict[str, Any]:
    with connection(dbs.settings("staging", prefix)) as conn:
        catalogue = catalogues.resolve(conn, prefix, catalogues.CatalogueSettings())
        with conn, conn.cursor() as cur:
            run_model(cur, "plan_family_requests", "staging", prefix, {"marketplace": "us"}, catalogue=catalogue)
            visible, sales_calls, shared = cur.fetchone()
    product = math.ceil(visible / settings.PRODUCT_BATCH_SIZE)
    return {
        "visible_asins": visible,
        "sales_calls": sales_calls,
        "shared_members": shared,
        "requests": product + sales_calls + audit_count(audit_percent, shared),
    }


def _simulate(cfg: config_mod.Config, days: int, start: dt.datetime) -> dict[str, Any]:
    with connection(cfg.staging) as conn:
        plan = plan_mod.make_plan(conn, cfg, now=start)
        started = time.perf_counter()
        simulated = plan_mod.simulate(conn, cfg, days, now=start)
        seconds = time.perf_counter() - started
    visible = plan["visible_asins"]
    by_day = [
        {
            "day": d["day"],
            "fresh_pct": round(100 * (visible - d["overdue"]) / visible, 2),
            "max_age_days": d["max_age_days"],
            "requests": d["requests"],
        }
        for d in simulated
    ]
    return {
        "requests_per_asin": plan["requests_per_asin"],
        "best_threshold_days": plan["best_threshold_days"],
        "projected_requests_per_month": plan["projected_requests_per_month"],
        "projected_requests_per_month_without_sharing": plan["projected_requests_per_month_without_sharing"],
        "requests_per_30_days": [sum(d["requests"] for d in simulated[i : i + 30]) for i in range(0, days, 30)],
        "final_fresh_pct": by_day[-1]["fresh_pct"],
        "final_max_age_days": by_day[-1]["max_age_days"],
        "simulation_s": round(seconds, 1),
        "by_day": by_day,
    }


def owner(
    server: PgServer, shape: Shape, days: int, audit_percent: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """The owner-shaped catalogue: counted refreshes and the simulated policies."""
    prefix = "fo_"
    start = start_of_next_month()
    out: dict[str, Any] = {"shape": dataclasses.asdict(shape), "simulation_start": start.isoformat(), "levels": []}
    with Databases(server, "fo") as dbs:
        dbs.migrated(prefix)
        built = time.perf_counter()
        _build(dbs, prefix, shape, start)
        log(f"  {shape.visible:,} visible ASINs built in {time.perf_counter() - built:.0f}s")
        env = {**dbs.env(prefix), "JUNGLE_SCOUT_API_KEY": "bench"}
        base = dataclasses.replace(
            config_mod.load(env, needs=["db"]),
            hourly_sync_asin_limit="auto",
            stale_data_threshold_days=THRESHOLD,
            sales_family_audit_percent=audit_percent,
        )
        for budget in (None, BUDGET):
            alone = _simulate(dataclasses.replace(base, monthly_request_budget=budget), days, start)
            out["per_asin" if budget is None else "per_asin_budget"] = alone
            log(_line("one sales call per ASIN", budget, alone))
        for percent in SHARING:
            _share(dbs, prefix, percent)
            level: dict[str, Any] = {
                "sharing_percent": percent,
                "counted": per_refresh(shape, percent, audit_percent),
                "catalogue": _counted(dbs, prefix, audit_percent),
            }
            for budget in (None, BUDGET):
                cfg = dataclasses.replace(base, sales_family_sharing=True, monthly_request_budget=budget)
                level["simulated" if budget is None else "simulated_budget"] = sim = _simulate(cfg, days, start)
                log(_line(f"sharing at {percent}%", budget, sim))
            level["goal_met"] = level["catalogue"]["requests"] / shape.visible <= GOAL
            out["levels"].append(level)
            log(
                f"  {percent}% sharing: a full refresh {level['catalogue']['requests']:,} requests "
                f"({level['catalogue']['requests'] / shape.visible:.3f} per visible ASIN; per ASIN "
                f"{level['counted']['per_asin']:,}, parent copy {level['counted']['parent_copy']:,})"
            )
    return out


def _line(name: str, budget: int | None, sim: dict) -> str:
    return (
        f"  {name}, {'no budget' if budget is None else f'{budget:,} a month'}: fresh {sim['final_fresh_pct']}% on "
        f"the last day, oldest {sim['final_max_age_days']} days, requests per 30 days {sim['requests_per_30_days']}, "
        f"best threshold {sim['best_threshold_days']} d ({sim['simulation_s']}s)"
    )


def run(
    server: PgServer,
    work: Path,
    *,
    sample_shape: Shape = Shape(variations=1_900, families=700, standalone=1_100),
    owner_shape: Shape = OWNER,
    days: int = 60,
    audit_percent: float = 2.0,
    log: Callable[[str], None] = lambda line: print(line, flush=True),
) -> dict[str, Any]:
    """The whole part; sizes shrink for --quick."""
    return {
        "sample": sample(server, work, sample_shape, audit_percent, log),
        "owner": owner(server, owner_shape, days, audit_percent, log),
        "budget": BUDGET,
        "goal_requests_per_visible_asin": GOAL,
    }
