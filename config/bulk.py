"""Bulk writes where the ORM's own are slow: upserts with large JSON columns, updates of many rows.

upsert (mastery rows, dashboard snapshots): on PostgreSQL the rows are COPied into a
session's staging table and moved into the table in one INSERT ... ON CONFLICT DO UPDATE.
bulk_create would send each column as one array literal, and escaping JSON into array
literals (psycopg does it in Python, character by character) was most of a nightly
recompute's time. Elsewhere (SQLite), and for a single row, bulk_create's own upsert.
Either way the values are what an INSERT of the ORM sends (pre_save, so auto_now fields
too, and get_db_prep_save).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

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
        _copy(cursor, staged, names, fields, rows)
        cursor.execute(
            f"WITH moved AS (DELETE FROM {staged} RETURNING {names}) "
            f"INSERT INTO {table} ({names}) SELECT {names} FROM moved "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )


def insert_many(model: type[M], objs: Sequence[M]) -> int:
    """Insert new rows as bulk_create does (no signals; their ids are not read back); how many.

    COPY on PostgreSQL, where bulk_create's array literals are slow to build for long text
    (a course's search entries); bulk_create elsewhere.
    """
    if connection.vendor != "postgresql":
        return len(model._default_manager.bulk_create(objs, batch_size=500))
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        _copy(cursor, quote(meta.db_table), names, fields, objs)
    return len(objs)


def _copy(cursor: Any, table: str, names: str, fields: Sequence[models.Field], objs: Sequence[Any]) -> None:
    """COPY the objects' `fields` into `table`: pre_save and get_db_prep_save, as an ORM INSERT sends them."""
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row(
                [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
            )


def update_many(model: type[M], objs: Sequence[M], fields: list[str], *, batch_size: int = 500) -> None:
    """Write `fields` of these saved rows, as bulk_update does (no signals, no auto_now), but as
    UPDATE ... FROM (VALUES ...): bulk_update builds a CASE per row and field, and building
    those expressions was most of the time a 1,250-question import spent writing.
    """
    if not objs:
        return
    meta = model._meta
    by_name = {field.name: field for field in meta.concrete_fields}
    chosen = [by_name[name] for name in fields]
    pk = meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    aliases = ["pk", *(f"v{index}" for index in range(len(chosen)))]
    if connection.vendor == "postgresql":
        # VALUES columns are typed from their first row: say each column's type.
        types = [pk.cast_db_type(connection), *(field.cast_db_type(connection) for field in chosen)]  # type: ignore[attr-defined]
        row = "(" + ", ".join(f"CAST(%s AS {kind})" for kind in types) + ")"
    else:
        # SQLite keeps values as given (a CAST to its DATETIME would turn a date into a number).
        row = "(" + ", ".join(["%s"] * len(aliases)) + ")"
    sets = ", ".join(
        f"{quote(field.column)} = v.{alias}" for field, alias in zip(chosen, aliases[1:], strict=True)
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            params = []
            for obj in batch:
                params.append(pk.get_db_prep_save(obj.pk, connection))
                params += [
                    field.get_db_prep_save(getattr(obj, field.attname), connection) for field in chosen
                ]
            cursor.execute(
                # A WITH list names the VALUES columns in both PostgreSQL and SQLite.
                f"WITH v({', '.join(aliases)}) AS (VALUES {', '.join([row] * len(batch))}) "
                f"UPDATE {table} SET {sets} FROM v WHERE {table}.{quote(pk.column)} = v.pk",
                params,
            )
