"""A deterministic text dump of a target's schema, for the committed sql/schema.sql.

Read from pg_catalog (queries in sql/catalog/): tables with their columns, types, defaults and
constraints, indexes, sequences and function signatures, ordered by name. The text must not
depend on the server version (tests run on PostgreSQL 15 and 18), so the one deparsing that
changed between them, `AT TIME ZONE`, is written in a single form.
"""

from __future__ import annotations

import re
from collections import defaultdict

from loaders.render import render

HEADER = """\
-- The schema of both targets after every migration in sql/migrations/, with the fixed prefixes
-- dev_az_ (staging) and prod_az_ (production). A readable record for reviewers, not a script:
-- `jssync migrate` builds the schema. Written by loaders/schema.py; tests/sql/test_schema.py
-- checks it against freshly migrated databases (UPDATE_SNAPSHOTS=1 rewrites it).
"""

# PostgreSQL 17 prints `x AT TIME ZONE 'UTC'` where 15 and 16 print `timezone('UTC', x)`.
_TIMEZONE_CALL = re.compile(r"timezone\(('(?:[^']|'')*'::text), ((?:[^()]|\(\))+)\)")


def normalize(expression: str | None) -> str | None:
    """An expression as PostgreSQL 17+ deparses it, whichever version deparsed it."""
    if expression is None:
        return None
    return _TIMEZONE_CALL.sub(r"(\2 AT TIME ZONE \1)", expression)


def _rows(cur, name: str, prefix: str) -> list[tuple]:
    # Catalog queries name no table of ours, so the prefix is only a parameter here.
    cur.execute(render(f"catalog/{name}.sql", "staging", prefix), {"prefix": prefix})
    return cur.fetchall()


def dump(conn, prefix: str) -> str:
    """The schema of the objects named with `prefix` in the connection's current schema."""
    with conn.cursor() as cur:
        columns = _rows(cur, "columns", prefix)
        constraints = _rows(cur, "constraints", prefix)
        indexes = _rows(cur, "indexes", prefix)
        sequences = _rows(cur, "sequences", prefix)
        functions = _rows(cur, "functions", prefix)
        cur.execute(render("catalog/current_schema.sql", "staging", prefix))
        schema = cur.fetchone()[0]

    tables: dict[str, list[str]] = defaultdict(list)
    for table, column, data_type, not_null, default in columns:
        line = f"    {column} {data_type}"
        if not_null:
            line += " NOT NULL"
        if default is not None:
            line += f" DEFAULT {normalize(default)}"
        tables[table].append(line)
    for table, name, definition in constraints:
        tables[table].append(f"    CONSTRAINT {name} {normalize(definition)}")

    out: list[str] = []
    for table in sorted(tables):
        out.append(f"CREATE TABLE {table} (\n" + ",\n".join(tables[table]) + "\n);")
        for index_table, _, definition in indexes:
            if index_table == table:
                # Drop the schema qualifier: the dump does not depend on the schema's name.
                out.append(normalize(definition.replace(f" ON {schema}.", " ON ")) + ";")
        out.append("")
    for name, data_type, owned_by in sequences:
        out.append(f"CREATE SEQUENCE {name} AS {data_type}" + (f" OWNED BY {owned_by}" if owned_by else "") + ";")
    if sequences:
        out.append("")
    for name, arguments, result, language, volatility in functions:
        out.append(f"FUNCTION {name}({normalize(arguments)})\n    RETURNS {result} LANGUAGE {language} {volatility};")
    return "\n".join(out).rstrip() + "\n"


def dump_targets(dumps: dict[str, tuple[str, str]]) -> str:
    """sql/schema.sql from {target: (prefix, dump)} for staging and production."""
    parts = [HEADER]
    for target, (prefix, text) in dumps.items():
        parts.append(f"\n-- ===== {target} (prefix {prefix}) =====\n\n{text}")
    return "".join(parts)
