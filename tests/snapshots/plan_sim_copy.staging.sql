-- `jssync plan --simulate-days`: a temporary copy of sync_status under the same name, so that in
-- this session the selection functions and the freshness query read the copy (a temporary table
-- comes first in the search path). The visible ASINs not tracked yet are added as new, as the
-- next sync's add-new step would. Nothing outside pg_temp is written; the simulation itself then
-- runs in read-only transactions. Target: staging. Parameters: now.
-- Plans cached in this session before the copy existed would still read the real table.
DISCARD PLANS;

CREATE TEMPORARY TABLE "dev_az_jungle_scout_sync_status" AS
SELECT * FROM "dev_az_jungle_scout_sync_status";

ALTER TABLE pg_temp."dev_az_jungle_scout_sync_status" ADD PRIMARY KEY (asin);

CREATE INDEX ON pg_temp."dev_az_jungle_scout_sync_status" (created_at, asin)
    WHERE has_product_data = false;

CREATE INDEX ON pg_temp."dev_az_jungle_scout_sync_status" (product_data_synced_at, asin)
    WHERE has_product_data = true;

CREATE INDEX ON pg_temp."dev_az_jungle_scout_sync_status"
    ((COALESCE(sales_estimate_data_synced_at, '-infinity'::timestamp)), product_data_synced_at, asin)
    WHERE has_product_data = true
      AND (sales_estimate_data_synced_at IS NULL
           OR sales_estimate_data_synced_at::date < product_data_synced_at::date);

INSERT INTO pg_temp."dev_az_jungle_scout_sync_status"
    (asin, has_product_data, has_sales_data, created_at, updated_at)
SELECT u.asin, false, false, %(now)s::timestamp, %(now)s::timestamp
FROM (
    SELECT DISTINCT pr."asin" AS asin
    FROM "dev_az_product" AS pr
    WHERE pr."product_visibility" = true
      AND pr."asin" IS NOT NULL
      AND btrim(pr."asin") <> ''
      AND NOT EXISTS (
          SELECT 1 FROM "dev_az_jungle_scout_sync_status" AS s WHERE s.asin = pr."asin")
) AS u
ON CONFLICT (asin) DO NOTHING;

ANALYZE pg_temp."dev_az_jungle_scout_sync_status";
