-- The archive holds this load now: it is no longer pending. Target: staging. Parameters: load_id.
DELETE FROM "dev_az_jssync_archive_pending"
WHERE load_id = %(load_id)s
