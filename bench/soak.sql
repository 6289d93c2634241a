-- The random-kill soak's SQL (bench/soak.py). Staging unless said otherwise.

{# Cut every database session of the sync under test (application_name jssync-*): both targets. #}
{% macro cut_sessions() %}
SELECT count(pg_terminate_backend(pid))
FROM pg_stat_activity
WHERE datname = current_database()
  AND application_name LIKE 'jssync%%'
  AND pid <> pg_backend_pid()
{% endmacro %}

{# Travel past every backoff: the soak's failures happened two days ago. #}
{% macro past_backoff() %}
UPDATE {{ table('jungle_scout_sync_status') }}
SET last_failure_at = last_failure_at - interval '2 days'
WHERE last_failure_at IS NOT NULL
{% endmacro %}

{# ASINs not fully synced: no product or sales data, or a sales gap. #}
{% macro incomplete() %}
SELECT asin
FROM {{ table('jungle_scout_sync_status') }}
WHERE NOT has_product_data
   OR NOT has_sales_data
   OR sales_estimate_data_synced_at IS NULL
ORDER BY asin
{% endmacro %}

{# Each ASIN's daily series: first day, last day, days held. A gap shows as days < span. #}
{% macro series() %}
SELECT asin, min(date), max(date), count(DISTINCT date)
FROM {{ table('jungle_scout_sales_estimate_data') }}
GROUP BY asin
ORDER BY asin
{% endmacro %}

{# A fingerprint of both data tables (every column but the load times): both targets. #}
{% macro fingerprint() %}
SELECT
    (SELECT md5(string_agg(md5(p::text), '' ORDER BY p.asin, p.report_date))
     FROM (SELECT asin, report_date, id, title, price, brand, updated_at
           FROM {{ table('jungle_scout_product_data') }}) AS p),
    (SELECT md5(string_agg(md5(s::text), '' ORDER BY s.asin, s.date))
     FROM (SELECT asin, marketplace, date, estimated_units_sold, last_known_price
           FROM {{ table('jungle_scout_sales_estimate_data') }}) AS s)
{% endmacro %}
