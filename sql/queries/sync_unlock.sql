-- Release the one-sync-at-a-time lock for this prefix. Target: staging.
{% import 'macros.sql' as m with context %}
SELECT pg_advisory_unlock({{ m.sync_lock_key() }}) AS released
