-- What the benchmark reads back to check a write path did its work. Both targets.

{# Rows in the two data tables, and a checksum of the sales values. #}
{% macro data_counts() %}
SELECT
    (SELECT count(*) FROM {{ table('jungle_scout_product_data') }}) AS products,
    (SELECT count(*) FROM {{ table('jungle_scout_sales_estimate_data') }}) AS sales,
    (SELECT COALESCE(sum(estimated_units_sold), 0)
     FROM {{ table('jungle_scout_sales_estimate_data') }}) AS units
{% endmacro %}

{# The demo's product list: N visible ASINs (the master sync's input). Staging only. #}
{% macro seed_products() %}
INSERT INTO {{ table('product') }} (asin, product_visibility)
SELECT unnest(%(asins)s::text[]), true
{% endmacro %}

{# Durability settings, which decide what a commit costs. #}
{% macro durability() %}
SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit
{% endmacro %}
