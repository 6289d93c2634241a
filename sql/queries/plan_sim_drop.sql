-- The end of a simulation: drop the temporary copy of sync_status. Target: staging (pg_temp).
DROP TABLE IF EXISTS pg_temp.{{ table('jungle_scout_sync_status') }};

-- Plans cached against the copy must not outlive it.
DISCARD PLANS
