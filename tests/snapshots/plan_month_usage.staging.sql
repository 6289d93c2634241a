-- Requests billed in the calendar month (UTC) holding `now`, every endpoint and marketplace,
-- retries and 429 answers included (the usage ledger counts each request sent).
-- Target: staging. Parameters: now (NULL: the database's now).
SELECT COALESCE(sum(requests), 0)::bigint AS spent
FROM "dev_az_jssync_api_usage"
WHERE day >= date_trunc('month', COALESCE(%(now)s::timestamp, (now() AT TIME ZONE 'UTC')))::date
  AND day < (date_trunc('month', COALESCE(%(now)s::timestamp, (now() AT TIME ZONE 'UTC')))
             + interval '1 month')::date
