-- The API usage ledger: Jungle Scout bills every request, retries and 429 answers included.
-- One row per UTC day, endpoint (products, sales) and marketplace; each run adds its counts at
-- its end. `requests` counts everything sent; `retries` and `rate_limited` (429 answers) and
-- `errors` (other failed answers, timeouts, network errors) are parts of it. Staging only.
{% if target == 'staging' %}
CREATE TABLE IF NOT EXISTS {{ table('jssync_api_usage') }} (
    day DATE NOT NULL,
    endpoint TEXT NOT NULL,
    marketplace VARCHAR(10) NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0,
    retries BIGINT NOT NULL DEFAULT 0,
    rate_limited BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY (day, endpoint, marketplace)
);
{% endif %}
