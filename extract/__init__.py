"""The Jungle Scout source: product records, daily sales estimates and per-ASIN outcomes.

`jungle_scout_source` wraps one batch's fetch (extract.fetch.BatchFetcher) as a dlt source.
Rows are handed to dlt as Arrow tables: dlt then writes them straight to the DuckDB landing
file, stamping each with its `_dlt_load_id`, without a slow row-by-row normalize step.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

import dlt
import pyarrow as pa

from extract.records import PRODUCT_COLUMNS, SALES_COLUMNS

_ARROW = {
    "text": pa.string(),
    "varchar": pa.string(),
    "json": pa.string(),
    "decimal": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "ts": pa.timestamp("us"),
}

SCHEMAS: dict[str, pa.Schema] = {
    "products": pa.schema(
        [("asin", pa.string()), ("marketplace", pa.string()), ("report_date", pa.date32())]
        + [(name, _ARROW[kind]) for name, (kind, _) in PRODUCT_COLUMNS.items()]
        + [("raw", pa.string())]
    ),
    "sales_estimates": pa.schema(
        [("asin", pa.string()), ("marketplace", pa.string()), ("date", pa.date32())]
        + [(name, _ARROW[kind]) for name, (kind, _) in SALES_COLUMNS.items()]
    ),
    "asin_outcomes": pa.schema(
        [
            ("asin", pa.string()),
            ("marketplace", pa.string()),
            ("kind", pa.string()),
            ("product_status", pa.string()),
            ("sales_status", pa.string()),
            ("sales_start", pa.date32()),
            ("sales_end", pa.date32()),
            ("sales_points", pa.int64()),
            ("error_category", pa.string()),
            ("error", pa.string()),
            ("sales_synced_at", pa.timestamp("us")),
        ]
    ),
    # Variation families (extract.families): the copied ranges of shared members' sales rows,
    # and the audits of shared members fetched on their own.
    "sales_provenance": pa.schema(
        [
            ("asin", pa.string()),
            ("marketplace", pa.string()),
            ("first_date", pa.date32()),
            ("last_date", pa.date32()),
            ("source_asin", pa.string()),
        ]
    ),
    "family_audits": pa.schema(
        [
            ("marketplace", pa.string()),
            ("asin", pa.string()),
            ("source_asin", pa.string()),
            ("parent_asin", pa.string()),
            ("product_rank", pa.int64()),
            ("first_date", pa.date32()),
            ("last_date", pa.date32()),
            ("days_compared", pa.int64()),
            ("days_differing", pa.int64()),
            ("first_differing_date", pa.date32()),
        ]
    ),
    "sync_batches": pa.schema(
        [
            ("run_id", pa.string()),
            ("kind", pa.string()),
            ("marketplace", pa.string()),
            ("batch", pa.int64()),
            ("asins", pa.int64()),
            ("started_at", pa.timestamp("us")),
        ]
    ),
}
# The family tables exist from the first load on, with sharing off too, so the views and example
# queries over them always run.
ALWAYS_CREATED = frozenset({"sales_provenance", "family_audits"})
FLUSH_ROWS = 5000  # rows per Arrow table: bounded memory, few files


@dlt.source(name="jungle_scout", max_table_nesting=0)
def jungle_scout_source(
    rows: Iterable[tuple[str, dict]], batch: dict, create: Collection[str] = ALWAYS_CREATED
) -> object:
    """One batch of API answers as landing tables: products, sales_estimates, asin_outcomes,
    (with family sharing) sales_provenance and family_audits, and a sync_batches row naming the
    run. `rows` yields (table, row) pairs; the tables in `create` are created even when empty
    (pass only those the landing file lacks: an empty table costs dlt a load job each time)."""

    @dlt.resource(name="jungle_scout", write_disposition="append")
    def responses() -> Iterator[object]:
        """Every row of the batch, routed to its table."""
        yield _table("sync_batches", [batch])
        buffers: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
        sent: set[str] = set()
        for table, row in rows:
            buffer = buffers[table]
            buffer.append(row)
            if len(buffer) >= FLUSH_ROWS:
                yield _table(table, buffer)
                sent.add(table)
                buffer.clear()
        for table, buffer in buffers.items():
            if buffer:
                yield _table(table, buffer)
                sent.add(table)
        for table in set(create) - sent:  # dlt creates a table with its first rows: none here
            yield _table(table, [])

    return responses


def _table(name: str, rows: list[dict]) -> object:
    return dlt.mark.with_table_name(pa.Table.from_pylist(rows, schema=SCHEMAS[name]), name)
