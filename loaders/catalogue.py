"""The site's catalogue: which staging table lists its ASINs, and which columns say ASIN and visible.

Configured by CATALOGUE_TABLE / _ASIN_COLUMN / _VISIBILITY_COLUMN (defaults: the seed's
`{prefix}product` with `asin` and `product_visibility`), or named at run time by a meta table
(CATALOGUE_TABLE_FROM, e.g. the owner's `{prefix}frontend_asin`, whose `table_name` column holds
the active table in full). `resolve` reads and checks it against staging before anything is
touched; every template that reads the catalogue gets the result through `render(catalogue=...)`.

Staging remembers the catalogue the last cleanup used (`{prefix}jssync_catalogue_state`, migration
0023). When the active table changes, the run's catalogue carries the one it switched from as
`previous`, and the next cleanup also drops the ASINs that table showed and the new one does not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from loaders.execute import run_model
from loaders.render import RenderError, check_identifier, table_name

log = logging.getLogger("jssync.catalogue")

DEFAULT_TABLE = "product"
DEFAULT_ASIN_COLUMN = "asin"
DEFAULT_VISIBILITY_COLUMN = "product_visibility"
META_COLUMN = "table_name"  # the meta table's column naming the active table
# pg_type.typcategory: S string types (text, varchar, char, citext, name), B boolean.
STRING, BOOLEAN = "S", "B"


class CatalogueError(RuntimeError):
    """The catalogue cannot be read as configured; the message names what is missing and which
    setting (or meta-table row) to fix."""


@dataclass(frozen=True)
class CatalogueSettings:
    """The CATALOGUE_* settings as configured (names unprefixed, checked by `problems`)."""

    table: str = DEFAULT_TABLE
    asin_column: str = DEFAULT_ASIN_COLUMN
    visibility_column: str = DEFAULT_VISIBILITY_COLUMN
    table_from: str | None = None

    def problems(self, prefix: str | None) -> list[str]:
        """What is wrong with the settings, one line per variable (empty when valid). `prefix`:
        staging's (None when unknown: the names are checked, not their length with it)."""
        out = []
        tables = [("CATALOGUE_TABLE", self.table)]
        if self.table_from is not None:
            tables.append(("CATALOGUE_TABLE_FROM", self.table_from))
        room = 63 - len(prefix or "")
        for variable, value in tables:
            try:
                check_identifier(value, "table name")
                if prefix is not None:
                    table_name(prefix, value)
            except RenderError:
                out.append(
                    f"{variable}={value[:60]!r} is invalid (a staging table name without the prefix, which is "
                    "applied: lower-case letters, digits and underscores, starting with a letter or "
                    f"underscore, at most {room} characters)"
                )
        for variable, value in (
            ("CATALOGUE_ASIN_COLUMN", self.asin_column),
            ("CATALOGUE_VISIBILITY_COLUMN", self.visibility_column),
        ):
            try:
                check_identifier(value)
            except RenderError:
                out.append(
                    f"{variable}={value[:60]!r} is invalid (a column name: lower-case letters, digits and "
                    "underscores, starting with a letter or underscore, at most 63 characters)"
                )
        return out


@dataclass(frozen=True)
class Catalogue:
    """A resolved catalogue: the table's full name (prefix applied, or as the meta table names it),
    its two columns, the meta table it was read from, and on a switch the `previous` catalogue."""

    table: str
    asin_column: str = DEFAULT_ASIN_COLUMN
    visibility_column: str = DEFAULT_VISIBILITY_COLUMN
    table_from: str | None = None
    previous: Catalogue | None = None

    @classmethod
    def default(cls, prefix: str) -> Catalogue:
        """The seed's layout for `prefix`: `{prefix}product` (`asin`, `product_visibility`)."""
        return cls(table_name(prefix, DEFAULT_TABLE))

    def same_place(self, other: Catalogue | None) -> bool:
        """Whether `other` reads the same table and columns."""
        return other is not None and (self.table, self.asin_column, self.visibility_column) == (
            other.table,
            other.asin_column,
            other.visibility_column,
        )

    def as_dict(self) -> dict:
        """The status object's `catalogue`."""
        return {
            "table": self.table,
            "asin_column": self.asin_column,
            "visibility_column": self.visibility_column,
            "table_from": self.table_from,
            "switched_from": None if self.previous is None else self.previous.table,
        }

    def state_params(self) -> dict:
        """The values `catalogue_state_record` stores."""
        return {
            "catalogue_table": self.table,
            "asin_column": self.asin_column,
            "visibility_column": self.visibility_column,
        }


def _where(settings: CatalogueSettings, prefix: str) -> str:
    """Which setting decided the table, for error messages."""
    if settings.table_from is not None:
        return (
            f"named by {table_name(prefix, settings.table_from)}.{META_COLUMN} "
            f"(CATALOGUE_TABLE_FROM={settings.table_from}); fix that row or CATALOGUE_TABLE_FROM"
        )
    return f"CATALOGUE_TABLE={settings.table} with the staging prefix {prefix!r}; set CATALOGUE_TABLE"


def _columns(cur, prefix: str, table: str) -> tuple[bool, bool, dict[str, str]]:
    """(exists, readable, {column: type category}) of a table or view in staging's search path."""
    run_model(cur, "catalogue_columns", "staging", prefix, {"table": table})
    rows = cur.fetchall()
    if not rows or rows[0][0] is None:
        return False, False, {}
    return True, bool(rows[0][1]), {name: category for _, _, name, category in rows if name is not None}


def _check_table(cur, prefix: str, catalogue: Catalogue, where: str) -> None:
    exists, readable, columns = _columns(cur, prefix, catalogue.table)
    if not exists:
        raise CatalogueError(f"the catalogue table {catalogue.table} does not exist in staging ({where})")
    if not readable:
        raise CatalogueError(
            f"the catalogue table {catalogue.table} exists in staging, but this database user may not read "
            f"it (GRANT SELECT ON {catalogue.table} TO the user of DB_STAGING_USER)"
        )
    for column, variable, category, kind in (
        (catalogue.asin_column, "CATALOGUE_ASIN_COLUMN", STRING, "a text"),
        (catalogue.visibility_column, "CATALOGUE_VISIBILITY_COLUMN", BOOLEAN, "a boolean"),
    ):
        if column not in columns:
            raise CatalogueError(
                f"the catalogue table {catalogue.table} has no column {column} (set {variable}; "
                f"its columns: {', '.join(sorted(columns)) or 'none'})"
            )
        if columns[column] != category:
            raise CatalogueError(
                f"the catalogue column {catalogue.table}.{column} is not {kind} column (set {variable})"
            )


def _active_table(cur, prefix: str, table_from: str) -> tuple[str, str]:
    """(the meta table's full name, the active table it names), both checked."""
    meta = table_name(prefix, table_from)
    exists, readable, columns = _columns(cur, prefix, meta)
    if not exists:
        raise CatalogueError(
            f"the catalogue meta table {meta} does not exist in staging (set CATALOGUE_TABLE_FROM, "
            f"or unset it to read CATALOGUE_TABLE)"
        )
    if not readable:
        raise CatalogueError(
            f"the catalogue meta table {meta} exists in staging, but this database user may not read it "
            f"(GRANT SELECT ON {meta} TO the user of DB_STAGING_USER)"
        )
    if columns.get(META_COLUMN) != STRING:
        raise CatalogueError(
            f"the catalogue meta table {meta} has no text column {META_COLUMN} naming the active table "
            "(set CATALOGUE_TABLE_FROM)"
        )
    run_model(cur, "catalogue_active_table", "staging", prefix, table_from=table_from)
    names = [row[0] for row in cur.fetchall()]
    if not names:
        raise CatalogueError(
            f"the catalogue meta table {meta} names no active table: its {META_COLUMN} column is empty "
            "(insert the row naming the active ASIN table, e.g. dev_az_asin_1)"
        )
    if len(names) > 1:
        raise CatalogueError(
            f"the catalogue meta table {meta} names more than one active table "
            f"({', '.join(names[:2])}, ...): keep one distinct {META_COLUMN}"
        )
    try:
        return meta, check_identifier(names[0], "table name")
    except RenderError as exc:
        raise CatalogueError(
            f"{meta}.{META_COLUMN} holds {names[0][:80]!r}, which is not a table name: {exc}"
        ) from None


def resolve(conn, prefix: str, settings: CatalogueSettings, *, record: bool = False) -> Catalogue:
    """The catalogue as it is now in staging: the meta table read (when CATALOGUE_TABLE_FROM is
    set), the table and columns checked. Raises CatalogueError naming what to fix.

    `record` (a sync run, whose cleanup follows): remember this catalogue in staging and, when it
    differs from the one the last cleanup used, carry that one as `previous`. Runs in its own
    transaction on `conn`; writes nothing unless `record`."""
    with conn, conn.cursor() as cur:
        table_from = None
        if settings.table_from is not None:
            table_from, table = _active_table(cur, prefix, settings.table_from)
        else:
            table = table_name(prefix, settings.table)
        catalogue = Catalogue(table, settings.asin_column, settings.visibility_column, table_from)
        _check_table(cur, prefix, catalogue, _where(settings, prefix))
        if not record:
            return catalogue
        run_model(cur, "catalogue_state_record", "staging", prefix, catalogue.state_params())
        row = cur.fetchone()
        if row is None or row[0] is None:
            return catalogue
        previous = Catalogue(row[0], row[1], row[2])
        if catalogue.same_place(previous):  # switched away and back before a cleanup: nothing to do
            run_model(cur, "catalogue_state_forget_previous", "staging", prefix)
            return catalogue
        try:
            _check_table(cur, prefix, previous, "the catalogue the last cleanup read")
        except CatalogueError as exc:
            # Gone (the owner dropped it): only ASINs the new table marks hidden can be dropped.
            log.warning("catalogue switched from %s to %s, but %s; the switch is applied", previous.table, table, exc)
            run_model(cur, "catalogue_state_forget_previous", "staging", prefix)
            return catalogue
        log.info("catalogue switched from %s to %s: the cleanup follows the new table", previous.table, table)
        return Catalogue(table, settings.asin_column, settings.visibility_column, table_from, previous)
