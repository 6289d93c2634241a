-- Model: the product rows production is owed, read from staging (never from the landing file,
-- which a Cloud Run Job loses when it ends).
-- Grain: one row per (asin, report_date) named by the pending outbox entries.
-- Reads: "dev_az_jssync_production_outbox", "dev_az_jungle_scout_product_data".
-- Columns: those of models/merge/product_data.sql, in its COPY order, then created_at.
-- Target: staging. Parameters: outbox_ids.
WITH owed AS (
    SELECT key
    FROM "dev_az_jssync_production_outbox" AS outbox,
         jsonb_array_elements(outbox.product_keys) AS key
    WHERE outbox.id = ANY(%(outbox_ids)s)
),

wanted AS (
    SELECT DISTINCT key ->> 'asin' AS asin, (key ->> 'report_date')::date AS report_date
    FROM owed
)

SELECT asin, report_date, id, title, price, reviews, category, rating, image_url, parent_asin, is_variant, seller_type, variants, breadcrumb_path, is_standalone, is_parent, is_available, brand, product_rank, weight_value, weight_unit, length_value, width_value, height_value, dimensions_unit, listing_quality_score, number_of_sellers, buy_box_owner, buy_box_owner_seller_id, date_first_available, date_first_available_is_estimated, approximate_30_day_revenue, approximate_30_day_units_sold, subcategory_ranks, fee_breakdown, ean_list, isbn_list, upc_list, gtin_list, variant_reviews, updated_at, created_at
FROM "dev_az_jungle_scout_product_data"
JOIN wanted USING (asin, report_date)
