-- Schema dump: the schema the dump reads (its name is left out of the dump).
SELECT current_schema()
