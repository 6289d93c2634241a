-- `jssync plan --simulate-days`: a temporary copy of sync_status under the same name, so that in
-- this session the selection functions and the freshness query read the copy (a temporary table
-- comes first in the search path). The visible ASINs not tracked yet are added as new, as the
-- next sync's add-new step would. Nothing outside pg_temp is written; the simulation itself then
-- runs in read-only transactions. Target: staging. Parameters: now.
{% import 'macros.sql' as m with context %}
-- Plans cached in this session before the copy existed would still read the real table.
DISCARD PLANS;

CREATE TEMPORARY TABLE {{ table('jungle_scout_sync_status') }} AS
SELECT * FROM {{ table('jungle_scout_sync_status') }};

ALTER TABLE pg_temp.{{ table('jungle_scout_sync_status') }} ADD PRIMARY KEY (asin);

CREATE INDEX ON pg_temp.{{ table('jungle_scout_sync_status') }} (created_at, asin)
    WHERE has_product_data = false;

CREATE INDEX ON pg_temp.{{ table('jungle_scout_sync_status') }} (product_data_synced_at, asin)
    WHERE has_product_data = true;

CREATE INDEX ON pg_temp.{{ table('jungle_scout_sync_status') }}
    ((COALESCE(sales_estimate_data_synced_at, '-infinity'::timestamp)), product_data_synced_at, asin)
    WHERE has_product_data = true
      AND (sales_estimate_data_synced_at IS NULL
           OR sales_estimate_data_synced_at::date < product_data_synced_at::date);

INSERT INTO pg_temp.{{ table('jungle_scout_sync_status') }}
    (asin, has_product_data, has_sales_data, created_at, updated_at)
SELECT u.asin, false, false, %(now)s::timestamp, %(now)s::timestamp
FROM (
    {{ m.untracked_asins() }}
) AS u
ON CONFLICT (asin) DO NOTHING;

ANALYZE pg_temp.{{ table('jungle_scout_sync_status') }};
