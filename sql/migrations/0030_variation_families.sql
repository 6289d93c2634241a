-- Issue 18: variation families that share one sales estimate (SALES_FAMILY_SHARING).
-- (1) {prefix}jssync_asin_family: every ASIN's latest product identity (parent_asin, product_rank
--     and the is_* flags of its newest product row), kept by the staging merge
--     (models/merge/asin_family.sql) and filled here from the product data already held. Visible
--     ASINs whose rows name the same parent_asin and the same non-null product_rank are a
--     shared-rank group: the selection refreshes them together.
-- (2) {prefix}jssync_sales_provenance: the date ranges of an ASIN's sales rows that are not its
--     own answer but a copy of another ASIN's (member, source ASIN, range). Rows without a range
--     here were fetched for the ASIN itself; an own fetch over a range removes it.
-- (3) {prefix}jssync_family_audits: every audit (a shared member fetched on its own and compared
--     day by day with its group's series), and {prefix}jssync_family_demotions: the groups an
--     audit found differing, whose members get their own calls from then on.
-- (4) {prefix}jssync_select_asins_v5: with p_family_sharing false, exactly _v4 (0019); with it
--     true, _v4's tiers and order, each selected ASIN bringing the other members of its
--     shared-rank group (kind 'family'), the limit counted in ASINs. Staging only.
{% if target == 'staging' %}
CREATE TABLE IF NOT EXISTS {{ table('jssync_asin_family') }} (
    asin VARCHAR(20) PRIMARY KEY,
    report_date DATE NOT NULL,
    parent_asin VARCHAR(20),
    product_rank INTEGER,
    is_parent BOOLEAN,
    is_variant BOOLEAN,
    is_standalone BOOLEAN,
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE INDEX IF NOT EXISTS {{ table('idx_jssync_asin_family_group') }}
    ON {{ table('jssync_asin_family') }} (parent_asin, product_rank, asin)
    WHERE parent_asin IS NOT NULL AND product_rank IS NOT NULL;

INSERT INTO {{ table('jssync_asin_family') }}
    (asin, report_date, parent_asin, product_rank, is_parent, is_variant, is_standalone)
SELECT DISTINCT ON (p.asin)
    p.asin, p.report_date, p.parent_asin, p.product_rank, p.is_parent, p.is_variant, p.is_standalone
FROM {{ table('jungle_scout_product_data') }} AS p
WHERE p.asin IS NOT NULL AND p.report_date IS NOT NULL
ORDER BY p.asin, p.report_date DESC, p.updated_at DESC NULLS LAST
ON CONFLICT (asin) DO NOTHING;

CREATE TABLE IF NOT EXISTS {{ table('jssync_sales_provenance') }} (
    asin VARCHAR(20) NOT NULL,
    marketplace VARCHAR(10) NOT NULL,
    first_date DATE NOT NULL,
    last_date DATE NOT NULL,
    source_asin VARCHAR(20) NOT NULL,
    run_id UUID,
    recorded_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY (asin, marketplace, first_date),
    CONSTRAINT {{ table('jssync_sales_provenance_range') }} CHECK (first_date <= last_date),
    CONSTRAINT {{ table('jssync_sales_provenance_other') }} CHECK (source_asin <> asin)
);

CREATE TABLE IF NOT EXISTS {{ table('jssync_family_audits') }} (
    id BIGSERIAL PRIMARY KEY,
    run_id UUID,
    audited_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    marketplace VARCHAR(10) NOT NULL,
    asin VARCHAR(20) NOT NULL,
    source_asin VARCHAR(20) NOT NULL,
    parent_asin VARCHAR(20) NOT NULL,
    product_rank INTEGER NOT NULL,
    first_date DATE,
    last_date DATE,
    days_compared INTEGER NOT NULL,
    days_differing INTEGER NOT NULL,
    first_differing_date DATE
);

CREATE INDEX IF NOT EXISTS {{ table('idx_jssync_family_audits_group') }}
    ON {{ table('jssync_family_audits') }} (marketplace, parent_asin, product_rank);

CREATE TABLE IF NOT EXISTS {{ table('jssync_family_demotions') }} (
    marketplace VARCHAR(10) NOT NULL,
    parent_asin VARCHAR(20) NOT NULL,
    product_rank INTEGER NOT NULL,
    demoted_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    run_id UUID,
    audited_asin VARCHAR(20) NOT NULL,
    source_asin VARCHAR(20) NOT NULL,
    days_differing INTEGER NOT NULL,
    first_differing_date DATE,
    PRIMARY KEY (marketplace, parent_asin, product_rank)
);

CREATE OR REPLACE FUNCTION {{ table('jssync_select_asins_v5') }}(
    p_limit integer DEFAULT 100,
    p_stale_days integer DEFAULT 30,
    p_retry_days integer DEFAULT 15,
    p_now timestamp DEFAULT (now() AT TIME ZONE 'UTC'),
    p_family_sharing boolean DEFAULT false,
    p_marketplace varchar DEFAULT 'us',
    p_backoff_base_seconds integer DEFAULT 3600,
    p_backoff_max_seconds integer DEFAULT 86400,
    p_retry_slack_seconds integer DEFAULT 0)
RETURNS TABLE (asin varchar, kind text, sales_synced_at timestamp, sales_group text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    -- As in _v4: the retry timers (not-found retry, backoff) are read at p_now + slack.
    v_retry_now timestamp := p_now + make_interval(secs => greatest(p_retry_slack_seconds, 0));
BEGIN
    IF NOT p_family_sharing THEN
        RETURN QUERY
        SELECT c.asin, c.kind, c.sales_synced_at, NULL::text
        FROM {{ table('jssync_select_asins_v4') }}(p_limit, p_stale_days, p_retry_days, p_now,
                                                    p_backoff_base_seconds, p_backoff_max_seconds,
                                                    p_retry_slack_seconds) AS c;
        RETURN;
    END IF;

    -- Every selected ASIN counts one slot, and so does each member of its group it brings; a
    -- group goes whole or waits for the next run (the first always goes), so the tiers keep
    -- their order and the limit is counted in ASINs. At most p_limit candidates are needed.
    RETURN QUERY
    WITH candidates AS (
        SELECT c.asin, c.kind, c.sales_synced_at, c.n
        FROM {{ table('jssync_select_asins_v4') }}(p_limit, p_stale_days, p_retry_days, p_now,
                                                    p_backoff_base_seconds, p_backoff_max_seconds,
                                                    p_retry_slack_seconds)
             WITH ORDINALITY AS c (asin, kind, sales_synced_at, n)
    ),
    keyed AS (
        -- A shared-rank group: the latest product data name a parent and a rank, and no audit
        -- has demoted that group in this marketplace.
        SELECT c.asin, c.kind, c.sales_synced_at, c.n, f.parent_asin, f.product_rank,
               CASE WHEN f.parent_asin IS NOT NULL AND f.product_rank IS NOT NULL AND d.parent_asin IS NULL
                    THEN f.parent_asin || '#' || f.product_rank END AS grp
        FROM candidates AS c
        LEFT JOIN {{ table('jssync_asin_family') }} AS f ON f.asin = c.asin
        LEFT JOIN {{ table('jssync_family_demotions') }} AS d
            ON d.marketplace = p_marketplace AND d.parent_asin = f.parent_asin AND d.product_rank = f.product_rank
    ),
    groups AS (
        SELECT DISTINCT k.parent_asin, k.product_rank, k.grp FROM keyed AS k WHERE k.grp IS NOT NULL
    ),
    companions AS (
        -- The group's other tracked members that may be fetched now (no not-found wait, no backoff).
        SELECT f.asin, g.grp, s.sales_estimate_data_synced_at
        FROM groups AS g
        JOIN {{ table('jssync_asin_family') }} AS f
            ON f.parent_asin = g.parent_asin AND f.product_rank = g.product_rank
        JOIN {{ table('jungle_scout_sync_status') }} AS s ON s.asin = f.asin
        WHERE s.has_product_data = true
          AND (s.product_fetch_attempted_at IS NULL
               OR s.product_fetch_attempted_at < v_retry_now - make_interval(days => p_retry_days))
          AND {{ table('jssync_backoff_due_v1') }}(s.failure_count, s.last_failure_at, v_retry_now,
                                                   p_backoff_base_seconds, p_backoff_max_seconds)
          AND NOT EXISTS (SELECT 1 FROM candidates AS c WHERE c.asin = f.asin)
    ),
    units AS (
        SELECT COALESCE(k.grp, k.asin) AS unit, min(k.n) AS pos, count(*) AS asins
        FROM keyed AS k
        GROUP BY 1
    ),
    brought AS (
        SELECT m.grp, count(*) AS asins FROM companions AS m GROUP BY m.grp
    ),
    sized AS (
        SELECT u.unit, u.pos, u.asins + COALESCE(b.asins, 0) AS asins
        FROM units AS u
        LEFT JOIN brought AS b ON b.grp = u.unit
    ),
    running AS (
        SELECT z.unit, z.pos, sum(z.asins) OVER (ORDER BY z.pos) AS total FROM sized AS z
    ),
    taken AS (
        SELECT r.unit, r.pos FROM running AS r WHERE r.total <= p_limit OR r.pos = 1
    ),
    chosen AS (
        SELECT k.asin, k.kind, k.sales_synced_at, k.grp, t.pos, 0 AS companion, k.n AS n
        FROM keyed AS k
        JOIN taken AS t ON t.unit = COALESCE(k.grp, k.asin)
        UNION ALL
        SELECT m.asin, 'family'::text, m.sales_estimate_data_synced_at, m.grp, t.pos, 1, 0
        FROM companions AS m
        JOIN taken AS t ON t.unit = m.grp
    )
    SELECT ch.asin, ch.kind, ch.sales_synced_at, ch.grp
    FROM chosen AS ch
    ORDER BY ch.pos, ch.companion, ch.n, ch.asin;
END;
$$;
{% endif %}
