-- Issue 19: staging-only runs (DB_PROD_HOST empty) write no production outbox, so nothing would
-- say later that production missed their merges. Staging keeps one row saying so: the first and
-- the latest merge production missed while disabled, and when `jssync catch-up --full` last
-- brought it level (which clears the two). A sync with production configured warns while the
-- row says production is behind. Staging only.
{% if target == 'staging' %}
CREATE TABLE IF NOT EXISTS {{ table('jssync_production_missed') }} (
    id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    missed_since TIMESTAMP,
    missed_until TIMESTAMP,
    leveled_at TIMESTAMP
);
{% endif %}
