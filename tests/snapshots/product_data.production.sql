-- Model: "prod_az_jungle_scout_product_data"
-- Grain: one row per ASIN and report date (UTC). Upsert key: (asin, report_date).
-- Reads: in_product_data, the run's rows (from the landing file on staging, copied from
-- staging on production). Target: staging, then production, which mirrors staging exactly
-- except where another writer's copy is newer: production keeps a row whose
-- GREATEST(updated_at, created_at) is later than the incoming row's, and the statement returns
-- the rows it kept that way (key, both stamps), for the status and the log.
-- Columns: the input's, in COPY order (loaders/merge.py PRODUCT_INPUT must list the same; a test
-- checks it), then created_at, which production copies from staging.
WITH latest AS (
    -- A key may appear once per INSERT ... ON CONFLICT. The row that wins: the newest record
    -- (the API's updated_at), then the last landed (COPY loads rows in landing order, so the
    -- highest ctid of the temporary table is the latest landed).
    SELECT DISTINCT ON (asin, report_date) *
    FROM in_product_data
    ORDER BY asin, report_date, updated_at DESC NULLS LAST, ctid DESC
)

, written AS (

INSERT INTO "prod_az_jungle_scout_product_data" AS target (
    asin, report_date, id, title, price, reviews, category, rating, image_url, parent_asin, is_variant, seller_type, variants, breadcrumb_path, is_standalone, is_parent, is_available, brand, product_rank, weight_value, weight_unit, length_value, width_value, height_value, dimensions_unit, listing_quality_score, number_of_sellers, buy_box_owner, buy_box_owner_seller_id, date_first_available, date_first_available_is_estimated, approximate_30_day_revenue, approximate_30_day_units_sold, subcategory_ranks, fee_breakdown, ean_list, isbn_list, upc_list, gtin_list, variant_reviews, updated_at, created_at
)
SELECT asin, report_date, id, title, price, reviews, category, rating, image_url, parent_asin, is_variant, seller_type, variants, breadcrumb_path, is_standalone, is_parent, is_available, brand, product_rank, weight_value, weight_unit, length_value, width_value, height_value, dimensions_unit, listing_quality_score, number_of_sellers, buy_box_owner, buy_box_owner_seller_id, date_first_available, date_first_available_is_estimated, approximate_30_day_revenue, approximate_30_day_units_sold, subcategory_ranks, fee_breakdown, ean_list, isbn_list, upc_list, gtin_list, variant_reviews, updated_at, created_at
FROM latest
ON CONFLICT (asin, report_date) DO UPDATE SET
    id = EXCLUDED.id,
    title = EXCLUDED.title,
    price = EXCLUDED.price,
    reviews = EXCLUDED.reviews,
    category = EXCLUDED.category,
    rating = EXCLUDED.rating,
    image_url = EXCLUDED.image_url,
    parent_asin = EXCLUDED.parent_asin,
    is_variant = EXCLUDED.is_variant,
    seller_type = EXCLUDED.seller_type,
    variants = EXCLUDED.variants,
    breadcrumb_path = EXCLUDED.breadcrumb_path,
    is_standalone = EXCLUDED.is_standalone,
    is_parent = EXCLUDED.is_parent,
    is_available = EXCLUDED.is_available,
    brand = EXCLUDED.brand,
    product_rank = EXCLUDED.product_rank,
    weight_value = EXCLUDED.weight_value,
    weight_unit = EXCLUDED.weight_unit,
    length_value = EXCLUDED.length_value,
    width_value = EXCLUDED.width_value,
    height_value = EXCLUDED.height_value,
    dimensions_unit = EXCLUDED.dimensions_unit,
    listing_quality_score = EXCLUDED.listing_quality_score,
    number_of_sellers = EXCLUDED.number_of_sellers,
    buy_box_owner = EXCLUDED.buy_box_owner,
    buy_box_owner_seller_id = EXCLUDED.buy_box_owner_seller_id,
    date_first_available = EXCLUDED.date_first_available,
    date_first_available_is_estimated = EXCLUDED.date_first_available_is_estimated,
    approximate_30_day_revenue = EXCLUDED.approximate_30_day_revenue,
    approximate_30_day_units_sold = EXCLUDED.approximate_30_day_units_sold,
    subcategory_ranks = EXCLUDED.subcategory_ranks,
    fee_breakdown = EXCLUDED.fee_breakdown,
    ean_list = EXCLUDED.ean_list,
    isbn_list = EXCLUDED.isbn_list,
    upc_list = EXCLUDED.upc_list,
    gtin_list = EXCLUDED.gtin_list,
    variant_reviews = EXCLUDED.variant_reviews,
    updated_at = EXCLUDED.updated_at
    , created_at = EXCLUDED.created_at
-- Production's other writers are never walked back.
WHERE NOT ((GREATEST(target.updated_at, target.created_at)
      > GREATEST(EXCLUDED.updated_at, EXCLUDED.created_at)) IS TRUE)
RETURNING target.asin, target.report_date
)

SELECT latest.asin,
       concat_ws(' ', latest.report_date::text) AS key,
       GREATEST(kept.updated_at, kept.created_at)::text AS production_stamp,
       GREATEST(latest.updated_at, latest.created_at)::text AS incoming_stamp
FROM latest
LEFT JOIN "prod_az_jungle_scout_product_data" AS kept USING (asin, report_date)
WHERE NOT EXISTS (
    SELECT 1 FROM written
    WHERE written.asin = latest.asin AND written.report_date = latest.report_date)
ORDER BY asin, report_date
