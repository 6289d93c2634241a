-- Take the one-sync-at-a-time lock for this prefix, without waiting. Held by the session until
-- it ends, so a dead process releases it with its connection. Target: staging.
SELECT pg_try_advisory_lock(hashtext('jssync-sync:' || %(prefix)s)) AS locked
