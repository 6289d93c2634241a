-- Add one run's requests of one UTC day and endpoint to the usage ledger. Target: staging.
-- Parameters: day, endpoint, marketplace, requests, retries, rate_limited, errors.
INSERT INTO {{ table('jssync_api_usage') }} AS ledger
    (day, endpoint, marketplace, requests, retries, rate_limited, errors, updated_at)
VALUES (%(day)s, %(endpoint)s, %(marketplace)s, %(requests)s, %(retries)s, %(rate_limited)s,
        %(errors)s, (now() AT TIME ZONE 'UTC'))
ON CONFLICT (day, endpoint, marketplace) DO UPDATE SET
    requests = ledger.requests + EXCLUDED.requests,
    retries = ledger.retries + EXCLUDED.retries,
    rate_limited = ledger.rate_limited + EXCLUDED.rate_limited,
    errors = ledger.errors + EXCLUDED.errors,
    updated_at = EXCLUDED.updated_at
