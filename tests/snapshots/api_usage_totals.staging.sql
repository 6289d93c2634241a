-- The usage ledger of the last `days` UTC days (today included), newest first.
-- Target: staging. Parameters: days.
SELECT day, endpoint, marketplace, requests, retries, rate_limited, errors
FROM "dev_az_jssync_api_usage"
WHERE day > (now() AT TIME ZONE 'UTC')::date - %(days)s
ORDER BY day DESC, marketplace, endpoint
