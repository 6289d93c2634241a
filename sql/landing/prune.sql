{#- LANDING_RETENTION_DAYS (DuckDB, in the landing file): delete every load landed before $cutoff
    (a UNIX time; load ids are dlt's UNIX timestamps) except those in $keep (still pending for
    the archive), from each landing table of `tables` (those that exist) and from dlt's record of
    loads, which returns the loads deleted. Rendered by extract/landing.py; parameters bound by
    DuckDB. -#}
{% for table in tables %}
DELETE FROM landing.{{ table }}
WHERE CAST(_dlt_load_id AS DOUBLE) < $cutoff AND NOT list_contains($keep, _dlt_load_id);
{% endfor %}
DELETE FROM landing._dlt_loads
WHERE CAST(load_id AS DOUBLE) < $cutoff AND NOT list_contains($keep, load_id)
RETURNING load_id;
