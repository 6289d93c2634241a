-- ASINs coming due on each of the next 30 days from `now`, if every due ASIN is refreshed the
-- day it comes due and comes due again `stale_days` later. Day 0 holds everything due already
-- (never synced, overdue, not-found retries that are due, visible ASINs not tracked yet).
-- `first_due` counts each ASIN once, on its first due day; `due` counts its repeats too.
-- Target: staging. Parameters: now (NULL: the database's now), stale_days, retry_days.
WITH params AS (
    SELECT COALESCE(%(now)s::timestamp, (now() AT TIME ZONE 'UTC')) AS now_at
),
due AS (
    SELECT greatest(
               CASE WHEN s.has_product_data
                    THEN s.product_data_synced_at + make_interval(days => %(stale_days)s) END,
               s.product_fetch_attempted_at + make_interval(days => %(retry_days)s)) AS due_at
    FROM "dev_az_jungle_scout_sync_status" AS s
    UNION ALL
    SELECT NULL::timestamp
    FROM (
        SELECT DISTINCT pr."asin" AS asin
        FROM "dev_az_product" AS pr
        WHERE pr."product_visibility" = true
          AND pr."asin" IS NOT NULL
          AND btrim(pr."asin") <> ''
          AND NOT EXISTS (
              SELECT 1 FROM "dev_az_jungle_scout_sync_status" AS s WHERE s.asin = pr."asin")
    ) AS untracked
),
first_due AS (
    SELECT greatest(0, floor(extract(epoch FROM d.due_at - p.now_at) / 86400))::integer AS day,
           count(*) AS asins
    FROM due AS d
    CROSS JOIN params AS p
    WHERE d.due_at IS NULL OR d.due_at < p.now_at + interval '30 days'
    GROUP BY 1
)
SELECT
    days.day,
    COALESCE(sum(f.asins) FILTER (WHERE f.day = days.day), 0)::bigint AS first_due,
    COALESCE(sum(f.asins), 0)::bigint AS due
FROM generate_series(0, 29) AS days (day)
LEFT JOIN first_due AS f
    ON f.day <= days.day AND mod(days.day - f.day, %(stale_days)s) = 0
GROUP BY days.day
ORDER BY days.day
