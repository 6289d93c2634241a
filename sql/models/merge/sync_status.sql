-- Model: {{ table('jungle_scout_sync_status') }}
-- Grain: one row per ASIN. Upsert key: asin (existing rows are updated, new ones inserted).
-- Reads: in_asin_outcomes, what happened to each ASIN of the batch. Runs in the same staging
-- transaction as the data models, so sync_status never claims data staging does not hold.
-- Rules: has_* only ever turn true; the *_at times take the new value over the old (COALESCE);
-- the newest error wins (NULL clears it), except that a batch which skipped the product side (a
-- sales-only sync) and raised no error of its own keeps the stored error, such as "Product not
-- found", which it has said nothing about. A sales-gap batch (kind sales_gap) is about the sales
-- error stored by the failed run before it, so its success clears that error.
-- Backoff: an ASIN whose product or sales part failed (an API or parse error, never "not found")
-- counts one more failure in a row and records when the failing run started (its jssync_runs
-- row; the merge time when there is none), so the next try is due a whole backoff step after the
-- run that failed; any other outcome sets the count back to 0 and clears that time.
-- Sales `pending` (the run was stopped, or its time ran out, before the answer came) is neither
-- synced nor failed: with its product data in, the ASIN is a sales gap, due next run, no backoff.
-- Target: staging only. Parameters: run_id.
WITH outcomes AS (
    -- One outcome per ASIN. The row that wins: the last landed (COPY loads rows in landing
    -- order, so the highest ctid of the temporary table is the latest landed).
    SELECT DISTINCT ON (asin) *
    FROM in_asin_outcomes
    ORDER BY asin, ctid DESC
),

changes AS (
    SELECT
        asin,
        product_status = 'found' AS has_product_data,
        sales_status = 'synced' AS has_sales_data,
        error,
        (product_status = 'skipped' AND error IS NULL AND kind <> 'sales_gap') AS keeps_error,
        (product_status = 'failed' OR sales_status = 'failed') AS failed,
        CASE WHEN product_status = 'found'
             THEN (now() AT TIME ZONE 'UTC') END AS product_data_synced_at,
        -- A member that copied its group's history from staging takes the time of those rows.
        CASE WHEN sales_status IN ('synced', 'no_data')
             THEN COALESCE(sales_synced_at, (now() AT TIME ZONE 'UTC')) END AS sales_estimate_data_synced_at,
        -- Not found (or unusable): do not ask again before the retry period has passed.
        CASE WHEN product_status IN ('not_found', 'invalid')
             THEN (now() AT TIME ZONE 'UTC') END AS product_fetch_attempted_at
    FROM outcomes
),

run AS (
    SELECT COALESCE(
        (SELECT r.started_at FROM {{ table('jssync_runs') }} AS r WHERE r.run_id = %(run_id)s::uuid),
        (now() AT TIME ZONE 'UTC')) AS started_at
),

updated AS (
    UPDATE {{ table('jungle_scout_sync_status') }} AS target SET
        has_product_data = target.has_product_data OR c.has_product_data,
        has_sales_data = target.has_sales_data OR c.has_sales_data,
        error = CASE WHEN c.keeps_error THEN target.error ELSE c.error END,
        product_data_synced_at =
            COALESCE(c.product_data_synced_at, target.product_data_synced_at),
        sales_estimate_data_synced_at =
            COALESCE(c.sales_estimate_data_synced_at, target.sales_estimate_data_synced_at),
        product_fetch_attempted_at =
            COALESCE(c.product_fetch_attempted_at, target.product_fetch_attempted_at),
        failure_count = CASE WHEN c.failed THEN target.failure_count + 1 ELSE 0 END,
        last_failure_at = CASE WHEN c.failed THEN run.started_at END,
        updated_at = (now() AT TIME ZONE 'UTC')
    FROM changes AS c, run
    WHERE target.asin = c.asin
    RETURNING target.asin
)

-- ASINs without a row yet. Syncs run one at a time (the sync lock), so no other writer inserts
-- the same ASIN between the UPDATE's snapshot and this INSERT; DO NOTHING only guards the key.
INSERT INTO {{ table('jungle_scout_sync_status') }} (
    asin, has_product_data, has_sales_data, error, product_data_synced_at,
    sales_estimate_data_synced_at, product_fetch_attempted_at, failure_count, last_failure_at,
    created_at, updated_at
)
SELECT
    c.asin, c.has_product_data, c.has_sales_data, c.error, c.product_data_synced_at,
    c.sales_estimate_data_synced_at, c.product_fetch_attempted_at,
    CASE WHEN c.failed THEN 1 ELSE 0 END, CASE WHEN c.failed THEN run.started_at END,
    (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
FROM changes AS c, run
WHERE NOT EXISTS (SELECT 1 FROM updated AS u WHERE u.asin = c.asin)
ON CONFLICT (asin) DO NOTHING
