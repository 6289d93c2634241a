-- Whether production missed merges while it was disabled (staging-only runs), and since when:
-- no row when it never did or has been brought level since. Target: staging.
SELECT missed_since, missed_until
FROM {{ table('jssync_production_missed') }}
WHERE missed_since IS NOT NULL
