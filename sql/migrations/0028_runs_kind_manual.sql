-- The run history records `jssync sync --asins FILE` without --only (kind 'manual': product
-- and sales of the listed ASINs in one run): the kind check of {{ table('jssync_runs') }} is
-- replaced by one that allows it. The old check is found by its definition, not its name (a
-- long prefix truncates generated names), as 0010 did. Staging only.
{% if target == 'staging' %}
DO $$
DECLARE
    old_check TEXT;
BEGIN
    FOR old_check IN
        SELECT conname
        FROM pg_constraint
        WHERE conrelid = '{{ table('jssync_runs') }}'::regclass
          AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%kind%'
    LOOP
        EXECUTE format('ALTER TABLE {{ table('jssync_runs') }} DROP CONSTRAINT %I', old_check);
    END LOOP;
END
$$;

ALTER TABLE {{ table('jssync_runs') }} ADD CONSTRAINT {{ table('jssync_runs_kind') }}
    CHECK (kind IN ('hourly', 'master', 'product', 'sales', 'manual', 'catch-up', 'verify'));
{% endif %}
