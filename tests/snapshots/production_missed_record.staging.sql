-- A staging-only merge: production (disabled) misses it. Keeps the first and the latest such
-- merge's time. Target: staging.
INSERT INTO "dev_az_jssync_production_missed" AS missed (id, missed_since, missed_until)
VALUES (true, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'))
ON CONFLICT (id) DO UPDATE SET
    missed_since = COALESCE(missed.missed_since, EXCLUDED.missed_since),
    missed_until = EXCLUDED.missed_until
