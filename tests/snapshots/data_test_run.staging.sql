-- Run one data test (sql/tests/): how many rows it returns (each a failure) and up to five of
-- them as JSON. Target: staging and production. Context: test_sql, the rendered test.
WITH failing AS (
SELECT 1 AS failing
)

SELECT (SELECT count(*) FROM failing) AS failures,
       (SELECT coalesce(json_agg(example), '[]'::json)
        FROM (SELECT * FROM failing LIMIT 5) AS example) AS examples
