-- Model: {{ table('jungle_scout_sales_estimate_data') }}
-- Grain: one row per ASIN, marketplace and day. Upsert key: (asin, marketplace, date).
-- Reads: in_sales_estimate_data, the run's rows (from the landing file on staging, copied from
-- staging on production). Target: staging, then production, which mirrors staging exactly
-- except where another writer's copy is newer: production keeps a row whose
-- GREATEST(updated_at, created_at) is later than the incoming row's, and the statement returns
-- the rows it kept that way (key, both stamps), for the status and the log.
-- Columns: the input's, in COPY order (loaders/merge.py SALES_INPUT must list the same; a test
-- checks it), then updated_at and created_at, set on staging and copied by production.
{% set columns = [
    'asin', 'marketplace', 'date', 'is_parent', 'is_variant', 'is_standalone', 'parent_asin',
    'estimated_units_sold', 'last_known_price',
] %}
{% import 'macros.sql' as m with context %}
WITH latest AS (
    -- A key may appear once per INSERT ... ON CONFLICT. The row that wins: the newest (staging's
    -- updated_at, which production copies), then the last landed (COPY loads rows in landing
    -- order, so the highest ctid of the temporary table is the latest landed).
    SELECT DISTINCT ON (asin, marketplace, date) *
    FROM in_sales_estimate_data
    ORDER BY asin, marketplace, date, updated_at DESC NULLS LAST, ctid DESC
)
{% if target == 'production' %}

, written AS (
{% endif %}

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
-- Production's other writers are never walked back.
WHERE NOT {{ m.newer('target', 'EXCLUDED') }}
RETURNING target.asin, target.marketplace, target.date
)

{{ m.kept_newer('jungle_scout_sales_estimate_data', ['asin', 'marketplace', 'date']) }}
{% endif %}
