-- Step 1 of a sync: remove ASINs the site hid. Returns the number removed. Target: staging.
SELECT "dev_az_jssync_cleanup_invisible_v1"() AS removed
