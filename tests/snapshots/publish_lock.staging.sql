-- Serialise the writers of production's mirrored tables (the publish of every sync and catch-up,
-- `verify --repair` and `--delete-extra`): held until the transaction ends. Each writer checks
-- before it commits that its run still holds the one-sync lock in staging, so a run that lost its
-- lock rolls back, and one whose lock is lost after that check commits before the next holder's
-- write: two publishers never interleave. Target: production. Parameters: prefix.
SELECT pg_advisory_xact_lock(hashtext('jssync-publish:' || %(prefix)s))
