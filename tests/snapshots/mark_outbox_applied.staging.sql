-- Production committed these merges. Target: staging. Parameters: outbox_ids.
UPDATE "dev_az_jssync_production_outbox"
SET applied_at = (now() AT TIME ZONE 'UTC')
WHERE id = ANY(%(outbox_ids)s) AND applied_at IS NULL
