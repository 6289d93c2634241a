-- Take the one-sync-at-a-time lock for this prefix, without waiting. Held by the session until
-- it ends, so a dead process releases it with its connection. Target: staging.
{% import 'macros.sql' as m with context %}
SELECT pg_try_advisory_lock({{ m.sync_lock_key() }}) AS locked
