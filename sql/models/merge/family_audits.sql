-- Model: {{ table('jssync_family_audits') }} and {{ table('jssync_family_demotions') }}
-- Grain: one audit row per shared member fetched on its own and compared with its group's
-- series; one demotion per group (marketplace, parent_asin, product_rank) an audit found differing.
-- Reads: in_family_audits, in_asin_outcomes, {{ table('jssync_asin_family') }},
-- {{ table('jssync_sales_provenance') }}. Runs in the staging merge transaction, after the
-- provenance and sync_status models.
-- Rules: every audit is kept; the first audit that differs demotes its group (its members get
-- their own calls from then on). Members of a group demoted here that were not in this batch
-- and hold shared rows get their sales sync time set back to the first shared day: they are
-- sales gaps, and their next (own) call fetches those rows again.
-- Target: staging only. Parameters: run_id.
INSERT INTO {{ table('jssync_family_audits') }} (
    run_id, marketplace, asin, source_asin, parent_asin, product_rank, first_date, last_date,
    days_compared, days_differing, first_differing_date
)
SELECT %(run_id)s::uuid, marketplace, asin, source_asin, parent_asin, product_rank, first_date, last_date,
       days_compared, days_differing, first_differing_date
FROM in_family_audits;

INSERT INTO {{ table('jssync_family_demotions') }} (
    marketplace, parent_asin, product_rank, run_id, audited_asin, source_asin, days_differing,
    first_differing_date
)
SELECT DISTINCT ON (marketplace, parent_asin, product_rank)
    marketplace, parent_asin, product_rank, %(run_id)s::uuid, asin, source_asin, days_differing,
    first_differing_date
FROM in_family_audits
WHERE days_differing > 0
ORDER BY marketplace, parent_asin, product_rank, days_differing DESC, asin
ON CONFLICT (marketplace, parent_asin, product_rank) DO NOTHING;

WITH demoted AS (
    SELECT DISTINCT marketplace, parent_asin, product_rank
    FROM in_family_audits
    WHERE days_differing > 0
),

shared_rows AS (
    SELECT p.asin, min(p.first_date) AS first_date
    FROM {{ table('jssync_sales_provenance') }} AS p
    JOIN {{ table('jssync_asin_family') }} AS f ON f.asin = p.asin
    JOIN demoted AS d
      ON d.marketplace = p.marketplace AND d.parent_asin = f.parent_asin AND d.product_rank = f.product_rank
    WHERE NOT EXISTS (SELECT 1 FROM in_asin_outcomes AS o WHERE o.asin = p.asin)
    GROUP BY p.asin
)

UPDATE {{ table('jungle_scout_sync_status') }} AS s
SET sales_estimate_data_synced_at = least(s.sales_estimate_data_synced_at, r.first_date::timestamp),
    updated_at = (now() AT TIME ZONE 'UTC')
FROM shared_rows AS r
WHERE s.asin = r.asin
