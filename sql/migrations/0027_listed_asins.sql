-- Issue 19: ASINs listed by hand (`jssync sync --asins FILE`, a manual endpoint's file or body)
-- need not be in the catalogue. They are tracked in sync_status like any ASIN, and remembered
-- here, one row per ASIN: when they were last listed and which parts were asked for. A cleanup
-- keeps a listed ASIN until it has synced what was asked since it was listed (the rule is the
-- macro `listed_pending` in sql/macros.sql, so every cleanup version carries it). Staging only.
{% if target == 'staging' %}
CREATE TABLE IF NOT EXISTS {{ table('jssync_listed_asins') }} (
    asin VARCHAR(20) PRIMARY KEY,
    listed_at TIMESTAMP NOT NULL,
    wants_product BOOLEAN NOT NULL,
    wants_sales BOOLEAN NOT NULL,
    run_id UUID
);
{% endif %}
