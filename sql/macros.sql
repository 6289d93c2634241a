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
