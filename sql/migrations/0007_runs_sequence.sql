-- The run history's order: `seq` numbers runs as they are inserted (a run's row is inserted when
-- it starts, under the sync lock), so the newest run is the one with the highest seq. It replaces
-- ordering by started_at (whole seconds) with xmin as tie-break (xmin changes on every update
-- and wraps). Staging only, like the run history.
{% if target == 'staging' %}
ALTER TABLE {{ table('jssync_runs') }} ADD COLUMN IF NOT EXISTS seq BIGSERIAL;

-- ADD COLUMN gives the rows already there values in storage order, which updates shuffle:
-- number them again in the order they started (of two runs started in the same second, the one
-- still running or finished last is the later), and let the sequence go on after the last.
UPDATE {{ table('jssync_runs') }} AS runs
SET seq = ordered.seq
FROM (
    SELECT run_id, row_number() OVER (
        ORDER BY started_at, finished_at NULLS LAST, run_id) AS seq
    FROM {{ table('jssync_runs') }}
) AS ordered
WHERE runs.run_id = ordered.run_id
  AND runs.seq IS DISTINCT FROM ordered.seq;

SELECT setval(pg_get_serial_sequence('{{ table('jssync_runs') }}', 'seq'),
              GREATEST(max(seq), 1), max(seq) IS NOT NULL)
FROM {{ table('jssync_runs') }};

CREATE INDEX IF NOT EXISTS {{ table('jssync_runs_by_seq') }}
    ON {{ table('jssync_runs') }} (seq);
{% endif %}
