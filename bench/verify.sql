-- `make bench` part verify: tables of a given size built inside PostgreSQL (generate_series),
-- identical on both targets, and drift made on production. Both targets.

{# n_asins ASINs, each with one product row and `days` daily sales rows ending yesterday.
   Every value, timestamps included, is a function of the ASIN and day: both targets equal. #}
{% macro fill() %}
INSERT INTO {{ table('jungle_scout_product_data') }}
    (asin, report_date, id, title, price, reviews, brand, updated_at, created_at)
SELECT 'B0V' || lpad(a::text, 7, '0'), DATE '2026-01-01', 'us/' || a, 'product ' || a,
       mod(a, 500) + 0.99, mod(a, 1000), 'brand ' || mod(a, 50),
       TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:00:00'
FROM generate_series(1, %(n_asins)s) AS a;

INSERT INTO {{ table('jungle_scout_sales_estimate_data') }}
    (asin, marketplace, is_parent, is_variant, is_standalone, parent_asin, date,
     estimated_units_sold, last_known_price, updated_at, created_at)
SELECT 'B0V' || lpad(a::text, 7, '0'), 'us', false, false, true, NULL, DATE '2025-12-31' - d,
       mod(a * 7 + d * 13, 90), (mod(a, 500) + 0.99)::numeric(10,2),
       TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:00:00'
FROM generate_series(1, %(n_asins)s) AS a, generate_series(0, %(days)s - 1) AS d;
ANALYZE {{ table('jungle_scout_product_data') }};
ANALYZE {{ table('jungle_scout_sales_estimate_data') }};
{% endmacro %}

{# Drift on production: `drifted` ASINs spread over the table, half with one day's units
   changed, half with their last ten days deleted. #}
{% macro drift() %}
UPDATE {{ table('jungle_scout_sales_estimate_data') }}
SET estimated_units_sold = estimated_units_sold + 1
WHERE asin IN (SELECT 'B0V' || lpad((i * (%(n_asins)s / %(drifted)s))::text, 7, '0')
               FROM generate_series(1, %(drifted)s / 2) AS i)
  AND date = DATE '2025-12-31';

DELETE FROM {{ table('jungle_scout_sales_estimate_data') }}
WHERE asin IN (SELECT 'B0V' || lpad((i * (%(n_asins)s / %(drifted)s))::text, 7, '0')
               FROM generate_series(%(drifted)s / 2 + 1, %(drifted)s) AS i)
  AND date > DATE '2025-12-31' - 10;
{% endmacro %}

{# The sales table's size on disk (heap, without indexes): what "1% of the table" is of. #}
{% macro table_bytes() %}
SELECT pg_relation_size('{{ table('jungle_scout_sales_estimate_data') }}')
     + pg_relation_size('{{ table('jungle_scout_product_data') }}')
{% endmacro %}

{# Production as a staging-only period leaves it: its data tables empty (the full catch-up bench). #}
{% macro empty() %}
TRUNCATE {{ table('jungle_scout_product_data') }}, {{ table('jungle_scout_sales_estimate_data') }};
{% endmacro %}
