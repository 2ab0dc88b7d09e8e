"""Bulk upserts of the learner-model tables (mastery rows, dashboard snapshots), with large JSON columns.

On PostgreSQL the rows are COPied into a session's staging table and moved into the table in
one INSERT ... ON CONFLICT DO UPDATE. bulk_create would send each column as one array
literal, and escaping JSON into array literals (psycopg does it in Python, character by
character) was most of a nightly recompute's time. Elsewhere (SQLite), and for a single
row, bulk_create's own upsert. Either way the values are what an INSERT of the ORM sends
(pre_save, so auto_now fields too, and get_db_prep_save).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def upsert(model: type[M], rows: Sequence[M], *, unique_fields: list[str], update_fields: list[str]) -> None:
    """Insert the rows, or update `update_fields` of the row with the same `unique_fields`."""
    if not rows:
        return
    # One row is one plain VALUES row (no array literal to escape into): bulk_create's own upsert.
    if connection.vendor != "postgresql" or len(rows) == 1:
        model._default_manager.bulk_create(
            rows, update_conflicts=True, unique_fields=unique_fields, update_fields=update_fields
        )
        return
    meta = model._meta
    by_name = {field.name: field for field in meta.concrete_fields}
    fields = [by_name[name] for name in [*unique_fields, *update_fields]]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    staged = quote(f"{meta.db_table}_staged")
    columns = [quote(field.column) for field in fields]
    names = ", ".join(columns)
    keys = ", ".join(columns[: len(unique_fields)])
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[len(unique_fields) :])
    with connection.cursor() as cursor:
        # The session's staging table: made once per connection, empty between upserts (the
        # INSERT below moves its rows out; a rollback takes them back with it).
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staged} ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {staged} ({names}) FROM STDIN") as copy:
            for obj in rows:
                copy.write_row(
                    [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
                )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {staged} RETURNING {names}) "
            f"INSERT INTO {table} ({names}) SELECT {names} FROM moved "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )
