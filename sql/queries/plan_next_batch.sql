-- How many ASINs the next run takes: the selection (the one place it is called) counted.
-- Target: staging. Parameters: those of select_asins.
SELECT count(*) AS asins
FROM (
{% include 'queries/select_asins.sql' %}
) AS batch
