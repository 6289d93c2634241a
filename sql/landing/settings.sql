-- DuckDB settings of a sync's own connection to the landing file, held for the whole run.
-- Without a limit DuckDB keeps every page it touched cached (up to 80% of RAM): a master sync
-- of 100,000 ASINs would grow without bound. Pages beyond the limit are re-read from the file.
SET memory_limit = '64MB';
