"""GET /dashboard in a real browser: headless Debian chromium driven by Playwright, against the
real app (served over HTTP on loopback) and real PostgreSQL after a few real hourly syncs.

One browser and one app server for the whole module. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from api import create_app
from sync import config as config_mod
from sync.hourly import run_hourly
from tests.api.support import JWT_SECRET, token
from tests.conftest import ROOT
from tests.helpers import Db, environment, insert_dead_run, migrate_targets, new_prefix, seed

ARTIFACTS = ROOT / "tests" / "artifacts"
SIZES = {"laptop": (1280, 800), "phone": (390, 844)}
PANELS = (
    "panel-runs",
    "panel-requests",
    "panel-ages",
    "panel-fresh",
    "panel-oldest",
    "panel-production",
    "panel-families",
    "panel-running",
)


def _chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found: install Debian's package with `make browser` (as root: apt-get install -y "
    "chromium), or point CHROMIUM at a chromium binary",
)


@pytest.fixture(scope="module")
def site(pg_server, databases, sandbox_api, tmp_path_factory) -> Iterator[dict]:
    """The app over freshly migrated databases after two real hourly syncs (the second with a
    retried 503, a 429 and an ASIN the API does not know) and a run whose process died; on loopback."""
    sandbox_api.reset()
    env = environment(pg_server, databases, sandbox_api.base_url, new_prefix(), tmp_path_factory.mktemp("landing"))
    env.update({"JWT_SECRET": JWT_SECRET, "JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET": "3000"})
    cfg = migrate_targets(config_mod.load(env, needs=["db", "api", "http"]))
    staging = Db(cfg, "staging")
    seed(staging, [f"B0DASH{n:04d}" for n in range(6)])
    run_hourly(cfg, "us")
    # A process killed mid-run leaves a row saying running: the page shows it stopped (red).
    insert_dead_run(staging, "00000000-0000-4000-8000-0000000dead1")
    seed(staging, ["B0DASHNEW1", "B0DASHGONE"])
    sandbox_api.set_faults(
        fail_next={"count": 1, "status": 503, "endpoint": "products"},
        rate_limit_next={"count": 1, "retry_after": 1, "endpoint": "sales"},
        unknown_asins=["B0DASHGONE"],
    )
    run_hourly(cfg, "us")
    sandbox_api.reset()
    # Variation families shared (SALES_FAMILY_SHARING) and audited: the lying family is caught.
    seed(staging, ["B0FSDASH01", "B0FSDASH02", "B0FSDASH03", "B0FLDASH01", "B0FLDASH02"])
    run_hourly(dataclasses.replace(cfg, sales_family_sharing=True, sales_family_audit_percent=50), "us")
    # Some ASINs synced long ago, so the histogram has more than one bar.
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_data_synced_at = product_data_synced_at '
        "- interval '40 days' WHERE asin IN ('B0DASH0000', 'B0DASH0001')"
    )

    app = create_app(cfg)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = app.test_client()
    admin_headers = {"Authorization": f"Bearer {token()}"}
    data = {
        path: client.get(path, headers=admin_headers).get_json()
        for path in ("/admin/runs?last=48", "/admin/usage?days=30", "/admin/freshness")
    }
    yield {"url": f"http://127.0.0.1:{server.server_port}", "data": data}
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """open_page(url, size=..., scheme=..., before=f(page)) -> (page, console errors); contexts
    closed after the test."""
    contexts = []

    def opener(url: str, size: str = "laptop", scheme: str = "light", fake_clock: bool = False, before=None):
        width, height = SIZES[size]
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if fake_clock:  # the page's timers run on a clock the test moves
            page.clock.install()
        if before is not None:  # e.g. routes, which must exist before the page asks
            before(page)
        page.goto(url)
        return page, errors

    yield opener
    for context in contexts:
        context.close()


def _signed_in(page) -> None:
    page.wait_for_selector("#panels:not([hidden])", timeout=10_000)
    page.wait_for_selector("#runs-strip .run", timeout=10_000)


def _ask(page, token_text: str, says: str) -> None:
    page.fill("#token-input", token_text)
    page.click("#token-form button[type=submit]")
    page.wait_for_function("(says) => document.querySelector('#token-message').textContent.includes(says)", arg=says)
    assert page.is_visible("#token-form") and page.is_hidden("#panels")
    assert page.evaluate("sessionStorage.getItem('jssync.adminToken')") is None


def test_token_flow_none_wrong_then_right(site, open_page):
    page, errors = open_page(site["url"] + "/dashboard")
    page.wait_for_selector("#token-form:not([hidden])")
    assert page.title() == "jssync operations"
    assert page.is_hidden("#panels") and page.locator("#runs-strip .run").count() == 0
    assert "Paste an admin token" in page.text_content("#token-message")

    _ask(page, "not-a-jwt", "The token was refused (401: token is invalid")
    _ask(page, token(role="viewer"), "This token is not an admin token (403: admin role required")
    # The message shows on the first refusal; Chromium's log lines for the other two may come later.
    for _ in range(100):
        if len(errors) >= 6:
            break
        page.wait_for_timeout(50)
    refusals = list(errors)

    page.fill("#token-input", token())
    page.click("#token-form button[type=submit]")
    _signed_in(page)
    assert page.is_hidden("#token-form")
    page.reload()
    _signed_in(page)  # sessionStorage kept it for the tab
    page.click("#sign-out")
    page.wait_for_selector("#token-form:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('jssync.adminToken')") is None
    # Chromium logs each refused request (3 endpoints x 2 tokens); nothing else may be logged.
    assert len(refusals) == 6 and all("status of 401" in e or "status of 403" in e for e in refusals), refusals
    assert errors == refusals


def test_a_fragment_token_signs_in_and_leaves_the_address_bar(site, open_page):
    page, errors = open_page(site["url"] + "/dashboard#token=" + token())
    _signed_in(page)
    assert page.url == site["url"] + "/dashboard"
    assert page.evaluate("sessionStorage.getItem('jssync.adminToken')")
    assert errors == []


def _field(page, name: str) -> str:
    return page.text_content(f'[data-field="{name}"]').strip()


def test_every_panel_shows_what_the_endpoints_answer(site, open_page):
    page, errors = open_page(site["url"] + "/dashboard#token=" + token())
    _signed_in(page)
    _check_panels(page, site)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        # The charts redraw at the new width (after a short debounce).
        page.wait_for_function(
            "(w) => Math.abs(document.querySelector('#requests-chart svg')"
            ".viewBox.baseVal.width - document.querySelector('#requests-chart').clientWidth)"
            " < 2",
            arg=width,
        )
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(ARTIFACTS / f"dashboard-{size}-{scheme}.png"), full_page=True)
            # Exactly the window (docs/dashboard.png, the README's, is the laptop-light one).
            page.screenshot(path=str(ARTIFACTS / f"dashboard-{size}-{scheme}-{width}x{height}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out
        _check_panels(page, site)
    assert errors == []


def _check_panels(page, site) -> None:
    runs = site["data"]["/admin/runs?last=48"]["runs"]
    usage = site["data"]["/admin/usage?days=30"]
    fresh = site["data"]["/admin/freshness"]
    for panel in PANELS:
        assert page.is_visible(f"#{panel}"), panel

    # The strip: one box per run, oldest first, coloured by outcome, details on click.
    boxes = page.locator("#runs-strip .run")
    assert [boxes.nth(i).get_attribute("data-run-id") for i in range(boxes.count())] == [
        r["run_id"] for r in reversed(runs)
    ]
    outcomes = [boxes.nth(i).get_attribute("class").split()[1] for i in range(boxes.count())]
    assert outcomes == [r["outcome"] for r in reversed(runs)]
    assert {"success", "failures", "stopped"} <= set(outcomes)
    boxes.nth(1).click()  # the dead run, second oldest
    details = page.text_content("#run-details")
    dead = runs[-2]
    assert dead["outcome"] == "stopped" and dead["kind"] in details and "stop reason: " + dead["stop_reason"] in details

    # Requests: a bar group per day; today's stack is the ledger's products and sales.
    today = max(r["day"] for r in usage["usage"])
    day = page.locator(f'#requests-chart g[data-day="{today}"]')
    expected = {
        e: sum(r["requests"] for r in usage["usage"] if r["day"] == today and r["endpoint"] == e)
        for e in ("products", "sales")
    }
    tip = day.locator("title").text_content()
    assert f"products {expected['products']:,}, sales {expected['sales']:,}" in tip
    retried = sum(r["retries"] for r in usage["usage"] if r["day"] == today)
    assert retried >= 1 and f"retries {retried:,}" in tip and day.locator("circle.retries").count() == 1
    limited = sum(r["rate_limited"] for r in usage["usage"] if r["day"] == today)
    assert limited == 1 and "429s 1," in tip and day.locator("rect.limited").count() == 1
    assert page.locator("#requests-chart g[data-day]").count() == 30
    assert page.locator("#requests-chart line.budget").count() == 1
    month = page.text_content("#requests-month")
    assert f"{usage['month']['requests']:,} requests" in month
    assert f"Budget 3,000: {usage['budget']['spent']:,} spent, {usage['budget']['left']:,} left" in month

    # Ages, freshness against the SLA, the oldest ASIN.
    for bucket, count in fresh["product_age_histogram"].items():
        text = page.locator(f'#ages-chart g[data-bucket="{bucket}"] title').text_content()
        assert f"product {count:,}, sales {fresh['sales_age_histogram'][bucket]:,}" in text
    assert _field(page, "fresh_percent") == f"{fresh['fresh_percent']:.2f} %"
    assert fresh["fresh_percent"] < fresh["sla_percent"]
    assert "warn" in page.get_attribute("#fresh-bar", "class")
    for name in ("fresh", "visible_asins", "overdue", "never_synced", "not_found_waiting"):
        assert _field(page, name) == f"{fresh[name]:,}", name
    assert _field(page, "oldest_product_age_days") == f"{fresh['oldest_product_age_days']:.1f} days"
    assert _field(page, "oldest_sales_age_days") == f"{fresh['oldest_sales_age_days']:.1f} days"

    # Production, parity, and whether a sync runs now.
    assert _field(page, "production_pending") == str(runs[0]["production_pending"])
    checked = next(r for r in runs if r.get("parity"))  # the per-run parity check (issue 12)
    assert _field(page, "parity").startswith(
        f"{checked['parity']['checked_asins']:,} ASINs checked, {len(checked['parity']['drifted_asins'])} drifted ("
    )
    assert _field(page, "archive_pending") == "not set (LANDING_ARCHIVE_URL)"  # these syncs archive nothing
    assert _field(page, "running") == "idle"

    # Variation families: one shared member of the true family, one audit per group, the lying one caught.
    assert sum(r["sales_shared_asins"] for r in runs) == 1
    assert _field(page, "sales_shared_asins") == "1" and "warn" in page.get_attribute("#panel-families .big", "class")
    assert _field(page, "family_audit") == "2 checked, 1 mismatched, 1 group demoted"


def test_a_staging_only_service_says_so_in_the_production_panel(site, open_page):
    """DB_PROD_HOST empty: the newest run's status says production "disabled", and the panel says
    staging only rather than a pending count. The runs answer is the app's own, with that field set."""

    def staging_only(route) -> None:
        answer = route.fetch()
        body = answer.json()
        body["runs"][0].update(production="disabled", production_pending=0)
        route.fulfill(response=answer, json=body)

    page, errors = open_page(
        site["url"] + "/dashboard#token=" + token(), before=lambda p: p.route("**/admin/runs?*", staging_only)
    )
    _signed_in(page)
    assert _field(page, "production_pending") == "disabled: staging only"
    assert "warn" in page.get_attribute("#panel-production .big", "class")
    assert errors == []


def test_the_page_refreshes_itself_without_reloading(site, open_page):
    page, errors = open_page(site["url"] + "/dashboard#token=" + token(), fake_clock=True)
    _signed_in(page)
    page.evaluate("window.__sameDocument = true")
    assert page.get_attribute("#updated", "data-loads") == "1"
    page.clock.run_for(59_000)
    assert page.get_attribute("#updated", "data-loads") == "1"
    page.clock.run_for(2_000)
    page.wait_for_function("() => document.querySelector('#updated').dataset.loads === '2'")
    assert page.evaluate("window.__sameDocument") is True
    assert errors == []
