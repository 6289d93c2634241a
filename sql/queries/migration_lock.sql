-- Serialise migrators of one prefix: held until the transaction ends, so a second `jssync
-- migrate` waits here and then finds the work done. Target: staging and production (run by
-- `jssync migrate` at the start of each migration's transaction). Parameters: prefix.
{% import 'macros.sql' as m with context %}
SELECT pg_advisory_xact_lock({{ m.migration_lock_key() }})
