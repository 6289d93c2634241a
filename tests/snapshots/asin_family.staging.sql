-- Model: "dev_az_jssync_asin_family"
-- Grain: one row per ASIN: the identity of its newest product row (parent_asin, product_rank,
-- is_parent, is_variant, is_standalone), what groups variations that share a rank.
-- Upsert key: asin; an older report date never replaces a newer one.
-- Reads: in_product_data. Runs in the staging merge transaction, so the family an ASIN's product
-- row names is committed with that row. The row that wins within the batch: the newest record,
-- then the last landed, as models/merge/product_data.sql keeps it. Target: staging only.
WITH latest AS (
    SELECT DISTINCT ON (asin)
        asin, report_date, parent_asin, product_rank, is_parent, is_variant, is_standalone
    FROM in_product_data
    ORDER BY asin, report_date DESC, updated_at DESC NULLS LAST, ctid DESC
)

INSERT INTO "dev_az_jssync_asin_family" AS target (
    asin, report_date, parent_asin, product_rank, is_parent, is_variant, is_standalone, updated_at
)
SELECT asin, report_date, parent_asin, product_rank, is_parent, is_variant, is_standalone,
       (now() AT TIME ZONE 'UTC')
FROM latest
ON CONFLICT (asin) DO UPDATE SET
    report_date = EXCLUDED.report_date,
    parent_asin = EXCLUDED.parent_asin,
    product_rank = EXCLUDED.product_rank,
    is_parent = EXCLUDED.is_parent,
    is_variant = EXCLUDED.is_variant,
    is_standalone = EXCLUDED.is_standalone,
    updated_at = EXCLUDED.updated_at
WHERE target.report_date <= EXCLUDED.report_date
