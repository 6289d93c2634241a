-- Model: {{ table('jungle_scout_product_data') }}
-- Grain: one row per ASIN and report date (UTC). Upsert key: (asin, report_date).
-- Reads: in_product_data, the run's rows (from the landing file on staging, copied from
-- staging on production). Target: staging, then production, which mirrors staging exactly
-- except where another writer's copy is newer: production keeps a row whose
-- GREATEST(updated_at, created_at) is later than the incoming row's, and the statement returns
-- the rows it kept that way (key, both stamps), for the status and the log.
-- Columns: the input's, in COPY order (loaders/merge.py PRODUCT_INPUT must list the same; a test
-- checks it), then created_at, which production copies from staging.
{% set columns = [
    'asin', 'report_date', 'id', 'title', 'price', 'reviews', 'category', 'rating', 'image_url',
    'parent_asin', 'is_variant', 'seller_type', 'variants', 'breadcrumb_path', 'is_standalone',
    'is_parent', 'is_available', 'brand', 'product_rank', 'weight_value', 'weight_unit',
    'length_value', 'width_value', 'height_value', 'dimensions_unit', 'listing_quality_score',
    'number_of_sellers', 'buy_box_owner', 'buy_box_owner_seller_id', 'date_first_available',
    'date_first_available_is_estimated', 'approximate_30_day_revenue',
    'approximate_30_day_units_sold', 'subcategory_ranks', 'fee_breakdown', 'ean_list', 'isbn_list',
    'upc_list', 'gtin_list', 'variant_reviews', 'updated_at',
] %}
{% import 'macros.sql' as m with context %}
WITH latest AS (
    -- A key may appear once per INSERT ... ON CONFLICT. The row that wins: the newest record
    -- (the API's updated_at), then the last landed (COPY loads rows in landing order, so the
    -- highest ctid of the temporary table is the latest landed).
    SELECT DISTINCT ON (asin, report_date) *
    FROM in_product_data
    ORDER BY asin, report_date, updated_at DESC NULLS LAST, ctid DESC
)
{% if target == 'production' %}

, written AS (
{% endif %}

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
-- Production's other writers are never walked back.
WHERE NOT {{ m.newer('target', 'EXCLUDED') }}
RETURNING target.asin, target.report_date
)

{{ m.kept_newer('jungle_scout_product_data', ['asin', 'report_date']) }}
{% endif %}
