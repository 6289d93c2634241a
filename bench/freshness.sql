-- The freshness benchmark's SQL (issue 11). Staging only.

{# A catalogue of `n` visible ASINs: a third new (visible, not tracked yet), the rest tracked
   with product and sales data spread evenly over the 60 days before `now` (oldest first). #}
{% macro catalogue() %}
INSERT INTO {{ table('product') }} (asin, product_visibility)
SELECT 'B' || lpad(i::text, 9, '0'), true FROM generate_series(1, %(n)s) AS i;
INSERT INTO {{ table('jungle_scout_sync_status') }} (asin, has_product_data, has_sales_data,
    product_data_synced_at, sales_estimate_data_synced_at, created_at, updated_at)
SELECT 'B' || lpad(i::text, 9, '0'), true, true,
       n.now_at - make_interval(secs => 60 * 86400.0 * (1 - i::float8 / %(tracked)s)),
       n.now_at - make_interval(secs => 60 * 86400.0 * (1 - i::float8 / %(tracked)s)),
       n.now_at - interval '400 days', n.now_at
FROM generate_series(1, %(tracked)s) AS i, (SELECT %(now)s::timestamp AS now_at) AS n;
ANALYZE {{ table('product') }};
ANALYZE {{ table('jungle_scout_sync_status') }};
{% endmacro %}

{# `n` sales rows of other ASINs (365 days each), as an old catalogue's history. #}
{% macro sales_history() %}
INSERT INTO {{ table('jungle_scout_sales_estimate_data') }}
    (asin, marketplace, is_parent, is_variant, is_standalone, parent_asin, date,
     estimated_units_sold, last_known_price)
SELECT 'H' || lpad((i / 365)::text, 9, '0'), 'us', false, false, true, NULL,
       DATE '2025-01-01' + (i %% 365), (i %% 97)::integer, 9.99
FROM generate_series(0, %(n)s - 1) AS i;
ANALYZE {{ table('jungle_scout_sales_estimate_data') }};
{% endmacro %}

{# Undo a merge so the same batch can be merged again on the same table. #}
{% macro forget_batch() %}
DELETE FROM {{ table('jungle_scout_sales_estimate_data') }} WHERE asin = ANY(%(asins)s);
DELETE FROM {{ table('jungle_scout_product_data') }} WHERE asin = ANY(%(asins)s);
DELETE FROM {{ table('jungle_scout_sync_status') }} WHERE asin = ANY(%(asins)s);
DELETE FROM {{ table('jssync_production_outbox') }};
{% endmacro %}
