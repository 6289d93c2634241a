-- Model: "dev_az_jssync_sales_provenance"
-- Grain: one row per copied range of an ASIN's sales rows (member, marketplace, first_date):
-- the days whose rows are another ASIN's answer (source_asin), not the ASIN's own.
-- Reads: in_sales_estimate_data (the days each ASIN's rows are written for in this merge),
-- in_sales_provenance (which of them are copies, and of whom). Runs in the staging merge
-- transaction, after the sales model.
-- Rules: the days an ASIN's rows are written for (from its first to its last landed day) lose
-- whatever the table said about them (stored ranges are cut around them), then the batch's
-- copied ranges are added: an own answer over a range removes its provenance, a copy records it.
-- Ranges of one ASIN never overlap. Target: staging only. Parameters: run_id.-- 1. A stored range running past the end of a window keeps the part after it.
WITH windows AS (
    SELECT asin, marketplace, min(date) AS first_date, max(date) AS last_date
    FROM in_sales_estimate_data
    WHERE EXISTS (SELECT 1 FROM "dev_az_jssync_sales_provenance")
    GROUP BY asin, marketplace
)
INSERT INTO "dev_az_jssync_sales_provenance" (asin, marketplace, first_date, last_date, source_asin, run_id,
                                                  recorded_at)
SELECT p.asin, p.marketplace, w.last_date + 1, p.last_date, p.source_asin, p.run_id, p.recorded_at
FROM "dev_az_jssync_sales_provenance" AS p
JOIN windows AS w ON w.asin = p.asin AND w.marketplace = p.marketplace
WHERE p.first_date <= w.last_date AND p.last_date > w.last_date;

-- 2. A stored range starting before a window and reaching into it ends the day before it.
WITH windows AS (
    SELECT asin, marketplace, min(date) AS first_date, max(date) AS last_date
    FROM in_sales_estimate_data
    WHERE EXISTS (SELECT 1 FROM "dev_az_jssync_sales_provenance")
    GROUP BY asin, marketplace
)
UPDATE "dev_az_jssync_sales_provenance" AS p
SET last_date = w.first_date - 1
FROM windows AS w
WHERE w.asin = p.asin AND w.marketplace = p.marketplace
  AND p.first_date < w.first_date AND p.last_date >= w.first_date;

-- 3. Stored ranges starting inside a window go (what ran past its end was kept by step 1).
WITH windows AS (
    SELECT asin, marketplace, min(date) AS first_date, max(date) AS last_date
    FROM in_sales_estimate_data
    WHERE EXISTS (SELECT 1 FROM "dev_az_jssync_sales_provenance")
    GROUP BY asin, marketplace
)
DELETE FROM "dev_az_jssync_sales_provenance" AS p
USING windows AS w
WHERE w.asin = p.asin AND w.marketplace = p.marketplace
  AND p.first_date BETWEEN w.first_date AND w.last_date;

-- 4. The batch's copied ranges.
INSERT INTO "dev_az_jssync_sales_provenance" (asin, marketplace, first_date, last_date, source_asin, run_id)
SELECT DISTINCT ON (asin, marketplace, first_date)
    asin, marketplace, first_date, last_date, source_asin, %(run_id)s::uuid
FROM in_sales_provenance
ORDER BY asin, marketplace, first_date, ctid DESC
ON CONFLICT (asin, marketplace, first_date) DO UPDATE SET
    last_date = EXCLUDED.last_date,
    source_asin = EXCLUDED.source_asin,
    run_id = EXCLUDED.run_id,
    recorded_at = (now() AT TIME ZONE 'UTC')
