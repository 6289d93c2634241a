-- Record an applied migration and the checksum of its file, in the migration's transaction.
-- Target: staging and production (`jssync migrate`). Parameters: filename, checksum.
INSERT INTO {{ table('jssync_schema_migrations') }} (filename, checksum)
VALUES (%(filename)s, %(checksum)s)
