-- The service's own bookkeeping, in staging only: staging is the source of truth for progress.
{% if target == 'staging' %}
-- One row per sync run; `status` is the run's status object, written as it advances, so any
-- process (the CLI, another HTTP instance) can read a running or finished sync.
CREATE TABLE IF NOT EXISTS {{ table('jssync_runs') }} (
    run_id UUID PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('hourly', 'master', 'product', 'sales', 'catch-up')),
    marketplace VARCHAR(10) NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT,
    status JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS {{ table('jssync_runs_kind_started') }}
    ON {{ table('jssync_runs') }} (kind, started_at DESC);

-- Merges staging committed and production has not (yet): written in the staging transaction of
-- the merge, marked applied after production commits. Keys point at rows in staging's data
-- tables, which production copies, so the landing file is never needed to catch up.
CREATE TABLE IF NOT EXISTS {{ table('jssync_production_outbox') }} (
    id BIGSERIAL PRIMARY KEY,
    run_id UUID NOT NULL,
    load_id TEXT NOT NULL,
    product_keys JSONB NOT NULL,
    sales_keys JSONB NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    applied_at TIMESTAMP
);
CREATE INDEX IF NOT EXISTS {{ table('jssync_production_outbox_pending') }}
    ON {{ table('jssync_production_outbox') }} (id) WHERE applied_at IS NULL;

-- The work list of the current master sync: `fresh` refills it, `resume` takes what is not done.
CREATE TABLE IF NOT EXISTS {{ table('jssync_master_queue') }} (
    asin VARCHAR(20) PRIMARY KEY,
    position INTEGER NOT NULL,
    run_id UUID NOT NULL,
    done_at TIMESTAMP
);
{% endif %}
