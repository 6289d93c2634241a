-- Release the one-sync-at-a-time lock for this prefix. Target: staging.
SELECT pg_advisory_unlock(hashtext('jssync-sync:' || %(prefix)s)) AS released
