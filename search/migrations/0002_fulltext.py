"""The full-text side of the index, by database: a GIN index on PostgreSQL, an FTS5 table on SQLite.

FTS5 keeps its own copy of title and body (rowid = the entry's id), kept in step by
triggers, so every write to search_searchentry, the ORM's cascading deletes included,
reaches it. Porter stemming with unicode61 (diacritics folded) matches PostgreSQL's
"english" configuration closely enough that both backends find the same sections.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title, body, tokenize = 'porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchentry BEGIN
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchentry BEGIN
        DELETE FROM search_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE OF title, body ON search_searchentry BEGIN
        UPDATE search_fts SET title = new.title, body = new.body WHERE rowid = new.id;
    END""",
    "INSERT INTO search_fts(rowid, title, body) SELECT id, title, body FROM search_searchentry",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX search_entry_document_gin ON search_searchentry USING gin (document)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS search_entry_document_gin"]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
