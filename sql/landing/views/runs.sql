-- View: landing.runs (DuckDB, in the landing file)
-- Grain: one row per load, i.e. per batch of a sync run (an hourly run is one batch, a master
-- run many): the run id (as in staging's jssync_runs), its kind and marketplace, the batch's
-- ASIN count, and dlt's record of the load (status 0 = loaded).
-- Reads: landing.sync_batches, landing._dlt_loads. Recreated after every load.
CREATE OR REPLACE VIEW landing.runs AS
SELECT
    batches.run_id,
    batches.kind,
    batches.marketplace,
    batches.batch,
    batches.asins,
    batches.started_at,
    batches._dlt_load_id AS load_id,
    loads.status AS load_status,
    loads.inserted_at AS loaded_at
FROM landing.sync_batches AS batches
LEFT JOIN landing._dlt_loads AS loads
    ON loads.load_id = batches._dlt_load_id;
