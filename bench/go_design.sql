-- The Go service's writes, re-implemented for the benchmark (go-service-readme.md, "Performance
-- Optimizations"): every statement is its own autocommitted round trip, written to staging, then
-- to production. Each macro renders one statement; `table()` applies the prefix.

{# One product record, all columns as parameters (%(name)s). Both targets. #}
{% macro product_upsert(columns) %}
INSERT INTO {{ table('jungle_scout_product_data') }} AS target (
    {{ columns | join(', ') }}
)
VALUES (
    {% for column in columns %}%({{ column }})s{{ ', ' if not loop.last }}{% endfor %}

)
ON CONFLICT (asin, report_date) DO UPDATE SET
{% for column in columns if column not in ('asin', 'report_date') %}
    {{ column }} = EXCLUDED.{{ column }}{{ ',' if not loop.last }}
{% endfor %}
{% endmacro %}

{# Up to 100 sales rows in one multi-VALUES statement: psycopg2's execute_values fills the
   single %s with one "(...)" per row (SalesBatchInsertSize = 100). Both targets. #}
{% macro sales_upsert(columns) %}
INSERT INTO {{ table('jungle_scout_sales_estimate_data') }} AS target (
    {{ columns | join(', ') }}, updated_at
)
VALUES %s
ON CONFLICT (asin, marketplace, date) DO UPDATE SET
{% for column in columns if column not in ('asin', 'marketplace', 'date') %}
    {{ column }} = EXCLUDED.{{ column }},
{% endfor %}
    updated_at = EXCLUDED.updated_at
{% endmacro %}

{# The row template execute_values repeats: the columns' values, then the write time. #}
{% macro sales_row(columns) %}
({% for column in columns %}%s, {% endfor %}(now() AT TIME ZONE 'UTC'))
{% endmacro %}

{# After the product is stored: has_product_data, product_data_synced_at. Staging only. #}
{% macro status_product() %}
INSERT INTO {{ table('jungle_scout_sync_status') }} AS target (
    asin, has_product_data, product_data_synced_at, error, updated_at
)
VALUES (%(asin)s, true, (now() AT TIME ZONE 'UTC'), NULL, (now() AT TIME ZONE 'UTC'))
ON CONFLICT (asin) DO UPDATE SET
    has_product_data = true,
    product_data_synced_at = EXCLUDED.product_data_synced_at,
    error = NULL,
    updated_at = EXCLUDED.updated_at
{% endmacro %}

{# After the sales are stored: has_sales_data, sales_estimate_data_synced_at. Staging only. #}
{% macro status_sales() %}
INSERT INTO {{ table('jungle_scout_sync_status') }} AS target (
    asin, has_sales_data, sales_estimate_data_synced_at, updated_at
)
VALUES (%(asin)s, true, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'))
ON CONFLICT (asin) DO UPDATE SET
    has_sales_data = true,
    sales_estimate_data_synced_at = EXCLUDED.sales_estimate_data_synced_at,
    updated_at = EXCLUDED.updated_at
{% endmacro %}
