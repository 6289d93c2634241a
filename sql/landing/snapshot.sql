-- A consistent copy of the landing file, for `jssync landing --snapshot PATH`: the source is
-- attached read-only for the few seconds the copy takes, so a sync is blocked that long at most.
-- Parameters: $source, $target (file paths). Run in an in-memory DuckDB.
ATTACH $source AS source (READ_ONLY);
ATTACH $target AS target;
COPY FROM DATABASE source TO target;
DETACH target;
DETACH source;
