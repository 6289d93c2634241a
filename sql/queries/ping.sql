-- Does the database answer? Used by GET /test-db. Target: staging or production.
SELECT 1 AS ok
