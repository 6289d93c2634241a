-- A pending catalogue switch that cannot be applied (the previous table is gone, or the run is
-- back on it): forget it. Target: staging.
UPDATE {{ table('jssync_catalogue_state') }}
SET previous_table = NULL, previous_asin_column = NULL, previous_visibility_column = NULL
