-- Record a sync run's status object as it advances. Target: staging.
-- Parameters: run_id, kind, marketplace, started_at, finished_at, outcome, status.
INSERT INTO "dev_az_jssync_runs" AS runs
    (run_id, kind, marketplace, started_at, finished_at, outcome, status)
VALUES (%(run_id)s::uuid, %(kind)s, %(marketplace)s, %(started_at)s, %(finished_at)s,
        %(outcome)s, %(status)s::jsonb)
ON CONFLICT (run_id) DO UPDATE SET
    finished_at = EXCLUDED.finished_at,
    outcome = EXCLUDED.outcome,
    status = EXCLUDED.status
