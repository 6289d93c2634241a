-- How fresh the catalogue is at `now`: one row of figures for the status, the Discord report,
-- `jssync plan`, GET /admin/freshness and the dashboard (sync/freshness.py).
--
-- Visible ASINs are the tracked ones (sync_status) plus visible product rows not tracked yet
-- (the next add-new step tracks them). Each falls in exactly one of:
--   fresh              product data (has_product_data) synced within threshold_days
--   overdue            product data older than that, or flagged without a sync time
--   not_found_waiting  no product data; the API did not find it within retry_days
--   never_synced       no product data otherwise, and every visible ASIN not tracked yet
-- so fresh + overdue + not_found_waiting + never_synced = visible_asins. An ASIN waiting on its
-- not-found retry cannot be fresh, so the SLA counts the others: sla_asins = visible_asins -
-- not_found_waiting, and fresh_percent = 100 * fresh / sla_asins (two decimals; NULL when the SLA
-- counts no ASIN), the share every reader compares with FRESHNESS_SLA_PERCENT. The age histograms
-- (0-1 1-2 2-7 7-14 14-30 30-60 60+ days, never) count the same ASINs by the age of their
-- product and of their sales data; "never" holds those without a sync time, so each histogram
-- also sums to visible_asins. Ages are in days, a time in the future counting as 0; NULL when no
-- ASIN has that data. p95_product_age_days is percentile_cont(0.95) of the product ages, read
-- from idx_js_sync_stale_order at the two rows around the percentile instead of sorting every
-- age. max_age_days: the oldest product data, or time tracked when never synced.
--
-- One pass over sync_status compares each row's times with cut-offs computed once (a few
-- comparisons a row), plus an anti-join of the product list for the untracked ASINs.
-- Target: staging. Parameters: now (NULL: the database's UTC now), threshold_days, retry_days.
{% import 'macros.sql' as m with context %}
{# An age histogram over keyed (alias g) from one of its bucket columns: ASIN counts, 0-1 day
   (bucket 6) first, 60+ days (bucket 0) last. #}
{% macro histogram(column) -%}
ARRAY[
{% for bucket in range(6, -1, -1) %}
            COALESCE(sum(g.asins) FILTER (WHERE g.{{ column }} = {{ bucket }}), 0)::bigint{{ ',' if not loop.last }}
{% endfor %}
        ]
{%- endmacro %}
{# An age in days to two decimals, a negative one (a time in the future) as 0, NULL kept NULL. #}
{% macro age_days(age) -%}
CASE WHEN ({{ age }}) IS NOT NULL
         THEN round((greatest(date_part('epoch', {{ age }}), 0) / 86400)::numeric, 2) END
{%- endmacro %}

WITH clock AS (
    SELECT
        n.now_at,
        n.now_at - make_interval(days => %(threshold_days)s) AS fresh_after,
        n.now_at - make_interval(days => %(retry_days)s) AS retry_after,
        -- The histogram's edges, oldest first: width_bucket() gives 0 for 60+ days ... 6 for 0-1.
        ARRAY[n.now_at - interval '60 days', n.now_at - interval '30 days', n.now_at - interval '14 days',
              n.now_at - interval '7 days', n.now_at - interval '2 days', n.now_at - interval '1 day']
            AS edges
    FROM (SELECT COALESCE(%(now)s::timestamp, now() AT TIME ZONE 'UTC') AS now_at) AS n
),
tracked AS (
    -- product_at / sales_at NULL: no data, or no sync time (the flags decide, as the selection's do).
    SELECT
        s.has_product_data IS TRUE AS has_product,
        CASE WHEN s.has_product_data THEN s.product_data_synced_at END AS product_at,
        CASE WHEN s.has_sales_data THEN s.sales_estimate_data_synced_at END AS sales_at,
        s.product_fetch_attempted_at AS attempted_at,
        s.created_at
    FROM {{ table('jungle_scout_sync_status') }} AS s
),
groups AS (
    -- The one pass: each row's state and age buckets as one small key (state * 100 + product
    -- bucket * 10 + sales bucket; bucket 9: no sync time), counted per key (a few dozen keys).
    SELECT
        CASE WHEN t.product_at >= c.fresh_after THEN 1          -- fresh
             WHEN t.has_product THEN 2                          -- overdue
             WHEN t.attempted_at >= c.retry_after THEN 3        -- not_found_waiting
             ELSE 4 END                                         -- never_synced
        * 100 + COALESCE(width_bucket(t.product_at, c.edges), 9) * 10
        + COALESCE(width_bucket(t.sales_at, c.edges), 9) AS key,
        count(*) AS asins,
        min(t.product_at) AS oldest_product_at,
        min(t.sales_at) AS oldest_sales_at,
        min(COALESCE(t.product_at, t.created_at)) AS oldest_at
    FROM tracked AS t
    CROSS JOIN clock AS c
    GROUP BY 1
),
keyed AS (
    SELECT g.key / 100 AS state, mod(g.key / 10, 10) AS product_bucket, mod(g.key, 10) AS sales_bucket,
           g.asins, g.oldest_product_at, g.oldest_sales_at, g.oldest_at
    FROM groups AS g
),
untracked AS (
    SELECT count(*) AS asins
    FROM (
        {{ m.untracked_asins() | indent(4) }}
    ) AS u
),
figures AS (
    SELECT
        COALESCE(sum(g.asins), 0)::bigint AS tracked,
        COALESCE(sum(g.asins) FILTER (WHERE g.state = 1), 0)::bigint AS fresh,
        COALESCE(sum(g.asins) FILTER (WHERE g.state = 2), 0)::bigint AS overdue,
        COALESCE(sum(g.asins) FILTER (WHERE g.state = 3), 0)::bigint AS not_found_waiting,
        COALESCE(sum(g.asins) FILTER (WHERE g.state = 4), 0)::bigint AS never_synced,
        COALESCE(sum(g.asins) FILTER (WHERE g.product_bucket <> 9), 0)::bigint AS with_product_at,
        min(g.oldest_product_at) AS oldest_product_at,
        min(g.oldest_sales_at) AS oldest_sales_at,
        min(g.oldest_at) AS oldest_at,
        {{ histogram('product_bucket') }} AS product_histogram,
        {{ histogram('sales_bucket') }} AS sales_histogram,
        COALESCE(sum(g.asins) FILTER (WHERE g.product_bucket = 9), 0)::bigint AS product_never,
        COALESCE(sum(g.asins) FILTER (WHERE g.sales_bucket = 9), 0)::bigint AS sales_never
    FROM keyed AS g
),
p95_rank AS (
    -- percentile_cont's rank in ages ascending is r = 0.95 (n - 1); ages ascending are times
    -- descending, so the two ages around r are the times at n - 1 - ceil(r) and n - 1 - floor(r).
    SELECT
        greatest(f.with_product_at - 1 - ceil(0.95 * (f.with_product_at - 1)), 0)::bigint AS skip,
        (ceil(0.95 * (f.with_product_at - 1)) - floor(0.95 * (f.with_product_at - 1)) + 1)::bigint AS take,
        0.95 * (f.with_product_at - 1) - floor(0.95 * (f.with_product_at - 1)) AS frac
    FROM figures AS f
),
p95_times AS (
    SELECT s.product_data_synced_at AS at
    FROM {{ table('jungle_scout_sync_status') }} AS s
    WHERE s.has_product_data = true
      AND s.product_data_synced_at IS NOT NULL
    ORDER BY s.product_data_synced_at
    OFFSET (SELECT r.skip FROM p95_rank AS r)
    LIMIT (SELECT r.take FROM p95_rank AS r)
),
p95 AS (
    -- The younger age plus frac of the step to the older one.
    SELECT (c.now_at - max(pt.at)) + r.frac::float8 * (max(pt.at) - min(pt.at)) AS p95_product_age
    FROM p95_times AS pt
    CROSS JOIN clock AS c
    CROSS JOIN p95_rank AS r
    GROUP BY c.now_at, r.frac
)
SELECT
    f.tracked + u.asins AS visible_asins,
    f.fresh,
    f.overdue,
    f.never_synced + u.asins AS never_synced,
    f.not_found_waiting,
    f.tracked + u.asins - f.not_found_waiting AS sla_asins,
    CASE WHEN f.tracked + u.asins - f.not_found_waiting > 0
         THEN round(100.0 * f.fresh / (f.tracked + u.asins - f.not_found_waiting), 2) END AS fresh_percent,
    {{ age_days('c.now_at - f.oldest_product_at') }} AS oldest_product_age_days,
    {{ age_days('p.p95_product_age') }} AS p95_product_age_days,
    {{ age_days('c.now_at - f.oldest_sales_at') }} AS oldest_sales_age_days,
    {{ age_days('c.now_at - f.oldest_at') }} AS max_age_days,
    u.asins AS untracked,
    -- Buckets 0-1 ... 60+ days, then never (untracked ASINs included).
    f.product_histogram || (f.product_never + u.asins) AS product_histogram,
    f.sales_histogram || (f.sales_never + u.asins) AS sales_histogram
FROM figures AS f
CROSS JOIN clock AS c
CROSS JOIN untracked AS u
LEFT JOIN p95 AS p ON true
