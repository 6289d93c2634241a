-- Schema dump: the prefix's functions with their signature (arguments with defaults, result),
-- language and volatility. Bodies are the migrations' text and are not repeated here.
-- Parameters: prefix.
{% import 'macros.sql' as m with context %}
SELECT
    p.proname AS function_name,
    pg_get_function_arguments(p.oid) AS arguments,
    pg_get_function_result(p.oid) AS result,
    l.lanname AS language,
    CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END AS volatility
FROM pg_proc AS p
JOIN pg_namespace AS n ON n.oid = p.pronamespace
JOIN pg_language AS l ON l.oid = p.prolang
WHERE {{ m.of_this_prefix('n', 'p.proname') }}
ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)
