-- Where the last master sync stands: ASINs queued, of which done, and the sales range it chose.
-- An empty queue means no master sync ever started (resume then starts fresh). Target: staging.
SELECT count(*) AS queued, count(done_at) AS done, max(date_range) AS date_range
FROM {{ table('jssync_master_queue') }}
