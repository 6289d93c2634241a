-- Whether some session holds the one-sync-at-a-time lock of this prefix (taken by sync_lock.sql
-- with the same key), read from pg_locks without taking it: a run saved as running while nobody
-- holds the lock has died. With `pid`, only that session counts (the run saved the backend pid
-- of its lock): another sync holding the lock says nothing about a dead one.
-- A bigint advisory key shows as classid (high half), objid (low half).
-- Target: staging. Parameters: prefix, pid (or NULL).
{% import 'macros.sql' as m with context %}
WITH lock_key AS (
    SELECT {{ m.sync_lock_key() }}::bigint AS k
)

SELECT EXISTS (
    SELECT 1
    FROM pg_locks AS l, lock_key
    WHERE l.locktype = 'advisory'
      AND l.granted
      AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = ((lock_key.k >> 32) & 4294967295)
      AND l.objid::bigint = (lock_key.k & 4294967295)
      AND (%(pid)s::integer IS NULL OR l.pid = %(pid)s::integer)
) AS held
