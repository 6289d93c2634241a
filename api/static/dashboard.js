// The operations page: reads /admin/runs, /admin/usage and /admin/freshness with the admin token
// kept in sessionStorage, draws plain SVG (no library, no network beyond this service) and
// refreshes every 60 seconds without reloading.
"use strict";
(() => {
  const KEY = "jssync.adminToken";
  const REFRESH_MS = 60000;
  const SVG = "http://www.w3.org/2000/svg";
  const BUCKETS = ["0-1", "1-2", "2-7", "7-14", "14-30", "30-60", "60+", "never"];
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let last = null;  // the latest answers, redrawn when the window's width changes

  function takeFragmentToken() {
    // #token=... never reaches the server; keep it for this tab and drop it from the address bar.
    const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!match) return;
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }

  function askForToken(message) {
    clearInterval(timer);
    timer = null;
    $("panels").hidden = true;
    $("sign-out").hidden = true;
    $("token-message").textContent = message || "";
    $("token-form").hidden = false;
    $("token-input").value = "";
    $("token-input").focus();
  }

  class Refused extends Error {}

  async function get(path, token) {
    const response = await fetch(path, { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (response.status === 401 || response.status === 403) {
      const why = body && body.error ? body.error : response.statusText;
      throw new Refused(response.status === 403
        ? "This token is not an admin token (403: " + why + "). Paste a token with role admin."
        : "The token was refused (401: " + why + "). Paste a valid admin token.");
    }
    if (!response.ok) {
      throw new Error(path + " answered " + response.status + (body && body.error ? ": " + body.error : ""));
    }
    return body;
  }

  async function load() {
    const token = sessionStorage.getItem(KEY);
    if (!token) { askForToken("Paste an admin token to see the service's health."); return; }
    try {
      const [runs, usage, freshness] = await Promise.all([
        get("/admin/runs?last=48", token), get("/admin/usage?days=30", token), get("/admin/freshness", token)]);
      $("token-form").hidden = true;
      $("load-error").hidden = true;
      $("panels").hidden = false;
      $("sign-out").hidden = false;
      last = [runs.runs, usage, freshness];
      draw(...last);
      $("updated").textContent = "updated " + new Date().toISOString().slice(0, 19).replace("T", " ") + " UTC";
      $("updated").dataset.loads = String(Number($("updated").dataset.loads || 0) + 1);
      if (!timer) timer = setInterval(load, REFRESH_MS);
    } catch (error) {
      if (error instanceof Refused) {
        sessionStorage.removeItem(KEY);
        askForToken(error.message);
      } else {
        $("load-error").textContent = "Could not load the data: " + error.message + " (trying again in 60 s)";
        $("load-error").hidden = false;
        if (!timer) timer = setInterval(load, REFRESH_MS);
      }
    }
  }

  // ---- formatting
  const clock = (iso) => iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "-";
  const num = (n) => n === null || n === undefined ? "-" : Number(n).toLocaleString("en-US");
  const days = (d) => d === null || d === undefined ? "none yet" : Number(d).toFixed(1) + " days";
  const seconds = (s) => s === null || s === undefined ? "-"
    : s < 120 ? s.toFixed(1) + " s" : Math.round(s / 60) + " min";
  function field(name, text, state) {
    document.querySelectorAll('[data-field="' + name + '"]').forEach((el) => {
      el.textContent = text;
      const big = el.closest(".big");
      if (big) { big.classList.remove("ok", "warn", "bad"); if (state) big.classList.add(state); }
    });
  }
  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }
  const width = (id) => Math.max(260, Math.round($(id).clientWidth || 0));
  function tip(node, text) { el("title", {}, node).textContent = text; return node; }

  // ---- panels
  function draw(runs, usage, freshness) {
    drawRuns(runs);
    drawRequests(usage);
    drawAges(freshness);
    drawFreshness(freshness);
    drawProduction(runs);
    drawFamilies(runs);
  }

  function runText(run) {
    const processed = run.total_asins_processed !== undefined ? run.total_asins_processed : run.processed_asins;
    const lines = [
      clock(run.started_at) + " · " + run.kind + " · " + run.outcome + " · " + seconds(run.duration_seconds),
      "processed " + num(processed) + ", product " + num(run.successful_product_sync) + ", sales " +
        num(run.successful_sales_sync) + ", failed " + num(run.failed_asins) + ", API calls " + num(run.total_api_calls),
    ];
    if (run.stop_reason) lines.push("stop reason: " + run.stop_reason);
    return lines.join("\n");
  }

  function drawRuns(runs) {
    const strip = $("runs-strip");
    const details = $("run-details");
    strip.replaceChildren();
    const oldestFirst = runs.slice().reverse();
    for (let i = oldestFirst.length; i < 48; i++) {
      const empty = document.createElement("div");
      empty.className = "empty";
      strip.appendChild(empty);
    }
    for (const run of oldestFirst) {
      const box = document.createElement("button");
      box.type = "button";
      box.className = "run " + run.outcome;
      box.title = runText(run);
      box.dataset.runId = run.run_id;
      box.setAttribute("role", "listitem");
      box.setAttribute("aria-label", runText(run));
      const show = () => {
        strip.querySelectorAll(".selected").forEach((b) => b.classList.remove("selected"));
        box.classList.add("selected");
        details.classList.remove("muted");
        details.replaceChildren(...runText(run).split("\n").map((line) => {
          const p = document.createElement("div"); p.textContent = line; return p;
        }));
      };
      box.addEventListener("click", show);
      box.addEventListener("mouseenter", show);
      box.addEventListener("focus", show);
      strip.appendChild(box);
    }
    if (!runs.length) details.textContent = "No sync has run yet.";
  }

  function lastDays(n) {
    const out = [];
    const today = new Date();
    for (let i = n - 1; i >= 0; i--) {
      const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
      out.push(d.toISOString().slice(0, 10));
    }
    return out;
  }

  function drawRequests(usage) {
    const dayList = lastDays(30);
    const per = Object.fromEntries(dayList.map((d) => [d, { products: 0, sales: 0, retries: 0, rate_limited: 0, errors: 0 }]));
    for (const row of usage.usage) {
      const slot = per[row.day];
      if (!slot) continue;
      if (row.endpoint === "sales") slot.sales += row.requests; else slot.products += row.requests;
      slot.retries += row.retries; slot.rate_limited += row.rate_limited; slot.errors += row.errors;
    }
    const budget = usage.budget;
    const now = new Date();
    const monthDays = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
    const perDay = budget ? budget.monthly / monthDays : null;
    const top = Math.max(1, perDay || 0, ...dayList.map((d) => per[d].products + per[d].sales)) * 1.1;
    // Drawn at the container's own width, so text keeps its size on a laptop and on a phone.
    const W = width("requests-chart"), H = 220, L = 44, B = 22, T = 8, w = (W - L - 4) / 30;
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "requests per day" });
    const y = (v) => H - B - (v / top) * (H - B - T);
    el("line", { x1: L, x2: W, y1: H - B, y2: H - B, class: "axis" }, svg);
    for (const v of [0, top / 2 / 1.1, top / 1.1]) {
      el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, svg).textContent = num(Math.round(v));
    }
    dayList.forEach((day, i) => {
      const d = per[day];
      const x = L + i * w + 1;
      const g = el("g", { "data-day": day }, svg);
      tip(g, day + ": products " + num(d.products) + ", sales " + num(d.sales) + ", retries " + num(d.retries) +
        ", 429s " + num(d.rate_limited) + ", errors " + num(d.errors));
      el("rect", { x, width: w - 2, y: y(d.products), height: H - B - y(d.products), class: "products" }, g);
      el("rect", { x, width: w - 2, y: y(d.products + d.sales), height: y(d.products) - y(d.products + d.sales),
        class: "sales" }, g);
      const above = y(d.products + d.sales) - 6;
      if (d.retries) el("circle", { cx: x + (w - 2) / 2, cy: above, r: 3.5, class: "retries" }, g);
      if (d.rate_limited) el("rect", { x: x + (w - 2) / 2 - 3.5, y: above - 10, width: 7, height: 7, class: "limited" }, g);
      if (W >= 560 ? i % 5 === 4 || i === 29 : i % 10 === 9) {
        el("text", { x: x + (w - 2) / 2, y: H - 6, "text-anchor": "middle" }, svg).textContent = day.slice(5);
      }
    });
    if (perDay) {
      tip(el("line", { x1: L, x2: W, y1: y(perDay), y2: y(perDay), class: "budget" }, svg),
        "budget per day: " + num(Math.round(perDay)));
    }
    $("requests-chart").replaceChildren(svg);
    const m = usage.month;
    let text = "This month (" + m.month + "): " + num(m.requests) + " requests, " + num(m.retries) + " retries, " +
      num(m.rate_limited) + " answered 429, " + num(m.errors) + " errors.";
    text += budget ? " Budget " + num(budget.monthly) + ": " + num(budget.spent) + " spent, " + num(budget.left) + " left."
      : " No monthly budget set.";
    $("requests-month").textContent = text;
  }

  function drawAges(freshness) {
    const p = freshness.product_age_histogram, s = freshness.sales_age_histogram;
    const top = Math.max(1, ...BUCKETS.map((b) => Math.max(p[b], s[b]))) * 1.15;
    const W = width("ages-chart"), H = 200, L = 8, B = 22, T = 14, w = (W - L) / BUCKETS.length;
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "age histogram" });
    const y = (v) => H - B - (v / top) * (H - B - T);
    el("line", { x1: 0, x2: W, y1: H - B, y2: H - B, class: "axis" }, svg);
    BUCKETS.forEach((bucket, i) => {
      const x = L + i * w;
      const g = el("g", { "data-bucket": bucket }, svg);
      tip(g, bucket + " days: product " + num(p[bucket]) + ", sales " + num(s[bucket]));
      const bw = (w - 8) / 2;
      el("rect", { x: x + 2, y: y(p[bucket]), width: bw, height: H - B - y(p[bucket]), class: "products" }, g);
      el("rect", { x: x + 2 + bw, y: y(s[bucket]), width: bw, height: H - B - y(s[bucket]), class: "sales" }, g);
      el("text", { x: x + w / 2, y: H - 6, "text-anchor": "middle" }, svg).textContent = bucket;
      el("text", { x: x + 2 + bw / 2, y: y(p[bucket]) - 3, "text-anchor": "middle" }, g).textContent = num(p[bucket]);
      el("text", { x: x + 2 + bw * 1.5, y: y(s[bucket]) - 3, "text-anchor": "middle" }, g).textContent = num(s[bucket]);
    });
    $("ages-chart").replaceChildren(svg);
  }

  function drawFreshness(f) {
    const pct = f.fresh_percent;
    const ok = pct !== null && pct >= f.sla_percent;
    field("fresh_percent", pct === null ? "no ASIN counted yet" : pct.toFixed(2) + " %", pct === null ? null : ok ? "ok" : "warn");
    for (const name of ["fresh", "sla_asins", "visible_asins", "overdue", "never_synced", "not_found_waiting"]) field(name, num(f[name]));
    field("threshold_days", String(f.threshold_days));
    field("sla_percent", f.sla_percent + " %");
    const bar = $("fresh-bar");
    bar.style.width = (pct || 0) + "%";
    bar.classList.toggle("warn", !ok);
    $("sla-mark").style.left = "calc(" + f.sla_percent + "% - 1px)";
    field("oldest_product_age_days", days(f.oldest_product_age_days),
      f.oldest_product_age_days === null ? null : f.oldest_product_age_days < f.threshold_days ? "ok" : "warn");
    field("p95_product_age_days", days(f.p95_product_age_days));
    field("oldest_sales_age_days", days(f.oldest_sales_age_days));
  }

  function drawProduction(runs) {
    const newest = runs[0];
    if (!newest) {
      field("production_pending", "no run yet");
    } else if (newest.production === "disabled") {
      // DB_PROD_HOST empty: the service runs staging only, and production owes nothing yet.
      field("production_pending", "disabled: staging only", "warn");
    } else {
      const pending = newest.production_pending || 0;
      field("production_pending", num(pending), pending ? "warn" : "ok");
    }
    // Parity comes from a verify run or a status carrying `parity` (issue 12), when there is one.
    const checked = runs.find((r) => r.parity || r.kind === "verify");
    if (!checked) {
      field("parity", "none yet");
    } else if (checked.parity) {
      const drifted = checked.parity.drifted_asins;
      const count = Array.isArray(drifted) ? drifted.length : drifted;
      field("parity", num(checked.parity.checked_asins) + " ASINs checked, " + num(count) +
        " drifted (" + clock(checked.started_at) + ")", count ? "warn" : "ok");
    } else {
      field("parity", checked.outcome + " (" + clock(checked.started_at) + ")");
    }
    // The landing archive (issue 20): the newest run that archives says how far behind it is.
    const archived = runs.find((r) => r.archive && r.archive.url);
    if (!archived) {
      field("archive_pending", newest ? "not set (LANDING_ARCHIVE_URL)" : "no run yet");
    } else {
      const waiting = archived.archive.pending_loads;
      field("archive_pending", waiting === null || waiting === undefined ? "pending loads unknown"
        : num(waiting) + (waiting === 1 ? " load" : " loads") + " pending", waiting ? "warn" : "ok");
    }
    const running = runs.find((r) => r.is_running);
    field("running", running ? "running" : "idle", running ? "ok" : null);
    field("running_detail", running
      ? running.kind + " sync since " + clock(running.started_at) + ", " + seconds(running.duration_seconds) + " so far"
      : newest ? "last run: " + newest.kind + ", " + newest.outcome + ", " + clock(newest.completed_at || newest.started_at)
        : "no sync has run yet");
  }

  function drawFamilies(runs) {
    // SALES_FAMILY_SHARING: ASINs that got their group's one sales answer, and the audit of it.
    let shared = 0, checked = 0, mismatched = 0, demoted = 0;
    for (const run of runs) {
      const audit = run.family_audit || {};
      shared += run.sales_shared_asins || 0;
      checked += audit.checked || 0;
      mismatched += audit.mismatched || 0;
      demoted += audit.demoted_groups || 0;
    }
    if (!shared && !checked) {
      field("sales_shared_asins", "none");
      field("family_audit", "nothing checked (SALES_FAMILY_SHARING is off, or no group shared a call)");
      return;
    }
    field("sales_shared_asins", num(shared), mismatched ? "warn" : "ok");
    field("family_audit", num(checked) + " checked, " + num(mismatched) + " mismatched, " +
      num(demoted) + (demoted === 1 ? " group" : " groups") + " demoted");
  }

  // ---- wiring
  document.addEventListener("DOMContentLoaded", () => {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token-input").value.trim().replace(/^Bearer\s+/i, "");
      if (!value) { $("token-message").textContent = "The token is empty: paste an admin JWT."; return; }
      sessionStorage.setItem(KEY, value);
      load();
    });
    $("sign-out").addEventListener("click", () => {
      sessionStorage.removeItem(KEY);
      askForToken("Token forgotten. Paste an admin token to see the data again.");
    });
    window.addEventListener("hashchange", () => { takeFragmentToken(); load(); });
    let resizing = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => { if (last && !$("panels").hidden) draw(...last); }, 150);
    });
    takeFragmentToken();
    load();
  });
})();
