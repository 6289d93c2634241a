-- Between two simulated days of `jssync plan --simulate-days`: vacuum and analyse the temporary
-- copy (autocommit; nothing outside pg_temp is touched). Each simulated run rewrites the rows it
-- refreshes, so without it the selection's index scans would walk every old version of the
-- simulation so far, and the day's freshness figures would read them all.
-- Target: staging (pg_temp). Parameters: none.
VACUUM (ANALYZE) pg_temp."dev_az_jungle_scout_sync_status"
