-- Step 2 of a sync: track every new visible ASIN. Returns the number added. Target: staging.
SELECT "dev_az_jssync_add_new_visible_v1"() AS added
