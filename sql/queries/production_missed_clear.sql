-- `jssync catch-up --full` brought production level with staging: nothing missed any more.
-- Target: staging.
INSERT INTO {{ table('jssync_production_missed') }} AS missed (id, leveled_at)
VALUES (true, (now() AT TIME ZONE 'UTC'))
ON CONFLICT (id) DO UPDATE SET
    missed_since = NULL,
    missed_until = NULL,
    leveled_at = EXCLUDED.leveled_at
