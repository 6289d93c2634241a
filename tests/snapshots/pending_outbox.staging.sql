-- Merges staging committed that production has not, oldest first. Target: staging.
SELECT id
FROM "dev_az_jssync_production_outbox"
WHERE applied_at IS NULL
ORDER BY id
