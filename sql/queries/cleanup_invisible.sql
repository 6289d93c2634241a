-- Step 1 of a sync: stop tracking ASINs the site hid. Returns the number removed. Target: staging.
-- Removed: an ASIN the catalogue lists as hidden (a row with visibility false) and shows in no
-- other row. ASINs missing from the catalogue are kept: an emptied table must not wipe progress.
-- Right after a switch of the active table (`catalogue.previous`: the one the last cleanup
-- read), ASINs that table showed and the new one does not show are removed too, and the switch
-- is marked done; unless the new table shows no ASIN at all (not filled yet): then the switch
-- waits for the next run. (This replaces the stored jssync_cleanup_invisible_v1, which read
-- only {prefix}product; the function stays in the database for older code.)
-- Never removed: an ASIN listed by hand (a file, a manual list) that has not synced yet since it
-- was listed (macro listed_pending; issue 19), whichever catalogue shows or hides it.
{% import 'macros.sql' as m with context %}
WITH removed AS (
    DELETE FROM {{ table('jungle_scout_sync_status') }} s
    WHERE ({{ m.hides('s.asin') }}
      AND NOT {{ m.shows('s.asin') }}
{% if catalogue.previous %}
       OR {{ m.shows('s.asin', catalogue.previous) }}
      AND NOT {{ m.shows('s.asin') }}
      AND EXISTS ({{ m.visible_asins() }})
{% endif %}
    )
      AND NOT {{ m.listed_pending('s') }}
    RETURNING 1
){% if catalogue.previous %},

switch_done AS (
    UPDATE {{ table('jssync_catalogue_state') }}
    SET previous_table = NULL, previous_asin_column = NULL, previous_visibility_column = NULL
    WHERE EXISTS ({{ m.visible_asins() }})
){% endif %}

SELECT count(*)::integer AS removed FROM removed
