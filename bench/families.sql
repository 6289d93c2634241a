-- The families benchmark's SQL (issue 18). Staging only.

{# Every ASIN's family as its product data would name it, kept apart so each sharing level can
   write jssync_asin_family from it: parent_asin (NULL: standalone), family (the family's number;
   for a standalone ASIN a rank of its own), member (its index in the family). #}
{% macro family_table() %}
CREATE TABLE {{ table('bench_family') }} (
    asin VARCHAR(20) PRIMARY KEY,
    report_date DATE NOT NULL,
    parent_asin VARCHAR(20),
    family INTEGER NOT NULL,
    member INTEGER
);
{% endmacro %}

{# The latest product data of the catalogue when `tenths` tenths of the families share a rank:
   every variation of family f names its parent, and f as its rank when f mod 10 < tenths, else
   a rank of its own. #}
{% macro ranks() %}
DELETE FROM {{ table('jssync_asin_family') }};
INSERT INTO {{ table('jssync_asin_family') }}
    (asin, report_date, parent_asin, product_rank, is_parent, is_variant, is_standalone)
SELECT asin, report_date, parent_asin,
       CASE WHEN parent_asin IS NULL THEN family
            WHEN family %% 10 < %(tenths)s THEN family
            ELSE 10000000 + family * 10 + member END,
       false, parent_asin IS NOT NULL, parent_asin IS NULL
FROM {{ table('bench_family') }};
ANALYZE {{ table('jssync_asin_family') }};
{% endmacro %}

{# How the staging rows of the run under prefix `other` differ from this prefix's (one sales call
   per ASIN): sales rows whose units or identity columns differ or exist on one side only; rows
   whose price differs where `other` has one; rows where only this side knows the price; product
   rows that differ or exist on one side only. #}
{% macro differences(other) %}
SELECT
    (SELECT count(*)
     FROM {{ table('jungle_scout_sales_estimate_data') }} AS a
     FULL JOIN "{{ other }}jungle_scout_sales_estimate_data" AS b USING (asin, marketplace, date)
     WHERE a.created_at IS NULL OR b.created_at IS NULL
        OR a.estimated_units_sold IS DISTINCT FROM b.estimated_units_sold
        OR a.is_parent IS DISTINCT FROM b.is_parent
        OR a.is_variant IS DISTINCT FROM b.is_variant
        OR a.is_standalone IS DISTINCT FROM b.is_standalone
        OR a.parent_asin IS DISTINCT FROM b.parent_asin) AS units_or_identity,
    (SELECT count(*)
     FROM {{ table('jungle_scout_sales_estimate_data') }} AS a
     JOIN "{{ other }}jungle_scout_sales_estimate_data" AS b USING (asin, marketplace, date)
     WHERE b.last_known_price IS NOT NULL
       AND a.last_known_price IS DISTINCT FROM b.last_known_price) AS prices,
    (SELECT count(*)
     FROM {{ table('jungle_scout_sales_estimate_data') }} AS a
     JOIN "{{ other }}jungle_scout_sales_estimate_data" AS b USING (asin, marketplace, date)
     WHERE b.last_known_price IS NULL AND a.last_known_price IS NOT NULL) AS prices_not_known,
    (SELECT count(*)
     FROM {{ table('jungle_scout_product_data') }} AS a
     FULL JOIN "{{ other }}jungle_scout_product_data" AS b USING (asin, report_date)
     WHERE a.id IS NULL OR b.id IS NULL
        OR (a.title, a.price, a.reviews, a.product_rank, a.parent_asin, a.variants)
           IS DISTINCT FROM (b.title, b.price, b.reviews, b.product_rank, b.parent_asin, b.variants)) AS product_rows,
    (SELECT count(*) FROM "{{ other }}jungle_scout_product_data") AS products
{% endmacro %}
