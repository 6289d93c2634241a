-- What one sales call per shared-rank group costs on this catalogue, before any run measured it:
-- the visible ASINs, the sales calls a full refresh makes (one per shared-rank group of the
-- latest product data, one per other visible ASIN: standalone, own rank, no rank, no product
-- data yet, or a member of a group an audit demoted in this marketplace), and the shared
-- members (a group's members but the one its call asks for: what the audit draws from).
-- Target: staging. Parameters: marketplace.
{% import 'macros.sql' as m with context %}
WITH visible AS (
    {{ m.visible_asins() }}
),

keyed AS (
    SELECT v.asin,
           CASE WHEN f.parent_asin IS NOT NULL AND f.product_rank IS NOT NULL AND d.parent_asin IS NULL
                THEN f.parent_asin || '#' || f.product_rank END AS grp
    FROM visible AS v
    LEFT JOIN {{ table('jssync_asin_family') }} AS f ON f.asin = v.asin
    LEFT JOIN {{ table('jssync_family_demotions') }} AS d
      ON d.marketplace = %(marketplace)s AND d.parent_asin = f.parent_asin AND d.product_rank = f.product_rank
)

SELECT count(*) AS visible_asins,
       count(DISTINCT grp) + count(*) FILTER (WHERE grp IS NULL) AS sales_calls,
       count(grp) - count(DISTINCT grp) AS shared_members
FROM keyed
