-- The master queue remembers the sales range its fresh run chose, so a `resume` that does not
-- name a range keeps the one the interrupted sync started with. Staging only, like the queue.
{% if target == 'staging' %}
ALTER TABLE {{ table('jssync_master_queue') }} ADD COLUMN IF NOT EXISTS date_range TEXT;
{% endif %}
