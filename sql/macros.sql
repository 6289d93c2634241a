{#- Fragments more than one template needs, each written once. A template imports them with
    {% import 'macros.sql' as m with context %} ("with context": the macros call table()).
    A migration that imports a macro freezes it: its checksum covers the migration file only,
    so change such a macro by adding a new one next to it. -#}

{#- The site's catalogue. Every template that reads it goes through these macros, which name it
    only as `catalogue` (the run's resolved catalogue, loaders/catalogue.py: CATALOGUE_TABLE or
    the table CATALOGUE_TABLE_FROM names, and its ASIN and visibility columns; render() quotes
    each name). `source` picks another resolved catalogue (the cleanup after a switch passes
    `catalogue.previous`). -#}

{#- The ASINs the site shows: a visible catalogue row with a non-blank ASIN (as the Go service's
    step 2 reads them). One row per ASIN, column `asin`. -#}
{% macro visible_asins(source=none) -%}
{% set c = source or catalogue %}
SELECT DISTINCT p.{{ c.asin }} AS asin
    FROM {{ c.table }} p
    WHERE p.{{ c.visible }} = true
      AND p.{{ c.asin }} IS NOT NULL
      AND btrim(p.{{ c.asin }}) <> ''
{%- endmacro %}

{#- The visible ASINs (as visible_asins) that have no sync_status row yet: the next add-new step
    tracks them. One row per ASIN, column `asin`. -#}
{% macro untracked_asins() -%}
SELECT DISTINCT pr.{{ catalogue.asin }} AS asin
    FROM {{ catalogue.table }} AS pr
    WHERE pr.{{ catalogue.visible }} = true
      AND pr.{{ catalogue.asin }} IS NOT NULL
      AND btrim(pr.{{ catalogue.asin }}) <> ''
      AND NOT EXISTS (
          SELECT 1 FROM {{ table('jungle_scout_sync_status') }} AS s WHERE s.asin = pr.{{ catalogue.asin }})
{%- endmacro %}

{#- True when the catalogue (or `source`) shows the ASIN `asin` (an SQL expression): a visible row
    of it. For a non-blank ASIN, the same as `asin IN (visible_asins())`. -#}
{% macro shows(asin, source=none) -%}
{% set c = source or catalogue %}
EXISTS (
            SELECT 1 FROM {{ c.table }} p
            WHERE p.{{ c.asin }} = {{ asin }} AND p.{{ c.visible }} = true)
{%- endmacro %}

{#- True when the catalogue lists the ASIN `asin` as hidden (a row whose visibility is false). -#}
{% macro hides(asin) -%}
EXISTS (
            SELECT 1 FROM {{ catalogue.table }} p
            WHERE p.{{ catalogue.asin }} = {{ asin }} AND p.{{ catalogue.visible }} = false)
{%- endmacro %}

{#- Production's other writers (issue 19): a production row is newer than the incoming one when its
    GREATEST(updated_at, created_at) is later. Compared as values, so `timestamp` and `timestamptz`
    columns alike compare in UTC (every connection runs with TimeZone=UTC). NULL on either side is
    not newer: staging's copy goes in. -#}
{% macro newer(current, incoming) -%}
((GREATEST({{ current }}.updated_at, {{ current }}.created_at)
      > GREATEST({{ incoming }}.updated_at, {{ incoming }}.created_at)) IS TRUE)
{%- endmacro %}

{#- The rows of `latest` a production upsert did not write because production's copy is newer (the
    upsert's RETURNING is `written`), one row each: ASIN, the rest of its key as text, production's
    and the incoming stamp. `key` lists the key columns, `data_table` the target table. -#}
{% macro kept_newer(data_table, key) -%}
SELECT latest.asin,
       concat_ws(' ', {% for column in key if column != 'asin' %}latest.{{ column }}::text{{ ', ' if not loop.last }}{% endfor %}) AS key,
       GREATEST(kept.updated_at, kept.created_at)::text AS production_stamp,
       GREATEST(latest.updated_at, latest.created_at)::text AS incoming_stamp
FROM latest
LEFT JOIN {{ table(data_table) }} AS kept USING ({{ key | join(', ') }})
WHERE NOT EXISTS (
    SELECT 1 FROM written
    WHERE {% for column in key %}written.{{ column }} = latest.{{ column }}{{ ' AND ' if not loop.last }}{% endfor %})
ORDER BY {{ key | join(', ') }}
{%- endmacro %}

{#- Verify: the columns a row hash covers, in order, a `timestamptz` column (listed in `zoned`, the
    target's own) read as its UTC `timestamp`, so a row hashes alike whichever type the target
    gave the column (an adopted database may have either). `alias` qualifies each column. -#}
{% macro utc_columns(columns, zoned, alias='') -%}
{% for column in columns %}{% if column in zoned %}({{ alias }}{{ column }} AT TIME ZONE 'UTC'){% else %}{{ alias }}{{ column }}{% endif %}{{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}

{#- A cleanup's exception (issue 19): the sync_status row `status` (an alias) is of an ASIN listed
    by hand (jssync_listed_asins, migration 0027) that has not yet synced what was asked since it
    was listed: the product part (found, or not found: then there is nothing more to ask), the
    sales part (synced on the day listed or later). A row tracked anew after the listing (removed
    and added again) is not covered by it. True while the ASIN must stay tracked. -#}
{% macro listed_pending(status) -%}
EXISTS (
        SELECT 1 FROM {{ table('jssync_listed_asins') }} AS listed
        WHERE listed.asin = {{ status }}.asin
          AND ({{ status }}.created_at <= listed.listed_at) IS NOT FALSE
          AND ({{ status }}.product_fetch_attempted_at >= listed.listed_at) IS NOT TRUE
          AND ((listed.wants_product AND ({{ status }}.product_data_synced_at >= listed.listed_at) IS NOT TRUE)
               OR (listed.wants_sales
                   AND ({{ status }}.sales_estimate_data_synced_at >= date_trunc('day', listed.listed_at)) IS NOT TRUE)))
{%- endmacro %}

{#- The advisory-lock key of one-sync-at-a-time for this prefix (parameter: prefix). -#}
{% macro sync_lock_key() -%}
hashtext('jssync-sync:' || %(prefix)s)
{%- endmacro %}

{#- The advisory-lock key of `jssync migrate` for this prefix (parameter: prefix). -#}
{% macro migration_lock_key() -%}
hashtext('jssync-migrate:' || %(prefix)s)
{%- endmacro %}

{#- The keys (one JSON object per row, column `key`) that the given outbox entries owe production,
    from one keys column (product_keys or sales_keys). Parameter: outbox_ids. -#}
{% macro owed_keys(column) -%}
SELECT key
    FROM {{ table('jssync_production_outbox') }} AS outbox,
         jsonb_array_elements(outbox.{{ column }}) AS key
    WHERE outbox.id = ANY(%(outbox_ids)s)
{%- endmacro %}

{#- Schema dump: a catalogue object of this prefix in the current schema, given the alias of its
    pg_namespace row and its name (parameter: prefix). -#}
{% macro of_this_prefix(namespace, name) -%}
{{ namespace }}.nspname = current_schema()
  AND left({{ name }}, length(%(prefix)s)) = %(prefix)s
{%- endmacro %}
