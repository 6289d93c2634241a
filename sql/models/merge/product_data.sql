-- Model: {{ table('jungle_scout_product_data') }}
-- Grain: one row per ASIN and report date (UTC). Upsert key: (asin, report_date).
-- Reads: in_product_data, the run's rows (from the landing file on staging, copied from
-- staging on production). Target: staging, then production, which mirrors staging exactly.
WITH input AS (
    SELECT * FROM in_product_data
),

latest AS (
    -- A key may appear once per INSERT ... ON CONFLICT: keep the newest record of each.
    SELECT DISTINCT ON (asin, report_date) *
    FROM input
    ORDER BY asin, report_date, updated_at DESC NULLS LAST
)

INSERT INTO {{ table('jungle_scout_product_data') }} AS target (
    {{ columns | join(', ') }}, created_at
)
SELECT {{ columns | join(', ') }}, created_at
FROM latest
ON CONFLICT (asin, report_date) DO UPDATE SET
{% for column in columns if column not in ('asin', 'report_date') %}
    {{ column }} = EXCLUDED.{{ column }}{{ ',' if not loop.last }}
{% endfor %}
{% if target == 'production' %}
    , created_at = EXCLUDED.created_at
{% endif %}
