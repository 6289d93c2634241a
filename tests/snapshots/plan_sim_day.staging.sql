-- The end of a simulated day of `jssync plan --simulate-days`, on the temporary copy: ASINs not
-- fresh and not waiting on a not-found retry, and the oldest age in days (product data, or time
-- tracked when never synced). Target: staging (pg_temp). Parameters: now, stale_days, retry_days.
SELECT
    count(*) FILTER (WHERE NOT COALESCE(
        (s.has_product_data
         AND s.product_data_synced_at >= %(now)s::timestamp - make_interval(days => %(stale_days)s))
        OR (NOT s.has_product_data
            AND s.product_fetch_attempted_at >= %(now)s::timestamp - make_interval(days => %(retry_days)s)),
        false)) AS overdue,
    round((max(extract(epoch FROM %(now)s::timestamp - COALESCE(s.product_data_synced_at, s.created_at)))
           / 86400.0)::numeric, 2) AS max_age_days
FROM pg_temp."dev_az_jungle_scout_sync_status" AS s
