-- Model: {{ table('jungle_scout_sales_estimate_data') }}
-- Grain: one row per ASIN, marketplace and day. Upsert key: (asin, marketplace, date).
-- Reads: in_sales_estimate_data, the run's rows (from the landing file on staging, copied from
-- staging on production). Target: staging, then production, which mirrors staging exactly.
WITH input AS (
    SELECT * FROM in_sales_estimate_data
),

latest AS (
    SELECT DISTINCT ON (asin, marketplace, date) *
    FROM input
    ORDER BY asin, marketplace, date
)

INSERT INTO {{ table('jungle_scout_sales_estimate_data') }} AS target (
    {{ columns | join(', ') }}, updated_at, created_at
)
SELECT {{ columns | join(', ') }},
{% if target == 'staging' %}
    (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
{% else %}
    updated_at, created_at
{% endif %}
FROM latest
ON CONFLICT (asin, marketplace, date) DO UPDATE SET
{% for column in columns if column not in ('asin', 'marketplace', 'date') %}
    {{ column }} = EXCLUDED.{{ column }},
{% endfor %}
    updated_at = EXCLUDED.updated_at
{% if target == 'production' %}
    , created_at = EXCLUDED.created_at
{% endif %}
