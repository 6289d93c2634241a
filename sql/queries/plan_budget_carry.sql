-- What `auto` pacing carried over: the fraction of an ASIN the budget's share of the newest other
-- hourly run this month did not pay for (`plan.budget_carry` in its status), so a share below one
-- ASIN a run adds up over the runs instead of rounding to zero each time; 0 when there is none
-- (a new month, a fixed limit, no budget). Target: staging. Parameters: run_id (the asking run,
-- left out; NULL: none), now (NULL: the database's now).
SELECT COALESCE((
    SELECT (r.status -> 'plan' ->> 'budget_carry')::double precision
    FROM {{ table('jssync_runs') }} AS r
    WHERE r.kind = 'hourly'
      AND (%(run_id)s::uuid IS NULL OR r.run_id <> %(run_id)s::uuid)
      AND r.started_at >= date_trunc('month', COALESCE(%(now)s::timestamp, (now() AT TIME ZONE 'UTC')))
    -- seq numbers runs as they were inserted (migration 0007): the newest first.
    ORDER BY r.seq DESC
    LIMIT 1
), 0) AS carry
