-- A fresh master sync: the queue becomes every visible ASIN (positions in ASIN order) and their
-- sync flags are reset, so all of them are fetched again and sales start over at `date_range`.
-- One transaction: a crash leaves the old queue or the new one, never half of each.
-- Target: staging. Parameters: run_id, date_range. Returns the number of ASINs queued.
{% import 'macros.sql' as m with context %}
DELETE FROM {{ table('jssync_master_queue') }};

INSERT INTO {{ table('jssync_master_queue') }} (asin, position, run_id, date_range)
SELECT visible.asin, row_number() OVER (ORDER BY visible.asin), %(run_id)s::uuid, %(date_range)s
FROM (
    {{ m.visible_asins() }}
) AS visible;

UPDATE {{ table('jungle_scout_sync_status') }} AS s
SET has_product_data = false,
    has_sales_data = false,
    product_data_synced_at = NULL,
    sales_estimate_data_synced_at = NULL,
    updated_at = (now() AT TIME ZONE 'UTC')
FROM {{ table('jssync_master_queue') }} AS q
WHERE q.asin = s.asin;

SELECT count(*) AS queued FROM {{ table('jssync_master_queue') }};
