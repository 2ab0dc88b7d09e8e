"""Search behind one interface: PostgreSQL full-text search in production, SQLite FTS5 embedded.

    search(query, user, limit) -> list[Hit]

Both backends read the same SearchEntry rows, rank the title above the body and, for the
same match, a concept above a lesson section above a question prompt (KIND_WEIGHT), return a
snippet with the matched words marked, and keep to the courses courses.access lets the
user see. Each search is one query whatever the size of the index.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, FloatField, Value, When
from django.db.models.expressions import CombinedExpression
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from courses.access import User, visible_courses
from search.models import SearchEntry

MAX_QUERY_CHARS = 200
DEFAULT_LIMIT = 30
PG_CONFIG = "english"
# Snippets come back as plain text with these around each match; the text is escaped and
# only then are they turned into <mark>, so nothing in a lesson's text can become markup.
START, STOP = "\x02", "\x03"
WORD_RE = re.compile(r"\w+")
TERM_RE = re.compile(r'"([^"]*)"?|(\S+)')


# A match's rank is multiplied by its kind's weight: a reader who types a concept's name wants the
# concept and the sections that teach it before the short question prompts that mention it
# (a short prompt would otherwise win: its few words make every match weigh more).
KIND_WEIGHT = {
    SearchEntry.Kind.CONCEPT: 3.0,
    SearchEntry.Kind.SECTION: 2.0,
    SearchEntry.Kind.QUESTION: 1.0,
}


def _kind_weight_sql(column: str) -> str:
    """KIND_WEIGHT as an SQL CASE on the kind column (the values are this module's constants)."""
    whens = " ".join(f"WHEN '{kind.value}' THEN {weight!r}" for kind, weight in KIND_WEIGHT.items())
    return f"(CASE {column} {whens} ELSE 1.0 END)"


class QueryError(ValueError):
    """A query that cannot be searched; the message says why, in words for the reader."""


@dataclass(frozen=True)
class Hit:
    kind: str
    title: str
    context: str
    url: str
    snippet: SafeString

    @property
    def kind_label(self) -> str:
        return SearchEntry.Kind(self.kind).label


def clean_query(raw: str) -> str:
    """The query as searched: control characters dropped, spaces collapsed; QueryError when unusable."""
    text = "".join(ch for ch in raw if not unicodedata.category(ch).startswith("C"))
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"A search is at most {MAX_QUERY_CHARS} characters; this one has {len(text)}.")
    if not WORD_RE.search(text):
        raise QueryError("Type a word to search for." if not text else "Type a word, not only punctuation.")
    return text


def marked(snippet: str) -> SafeString:
    return mark_safe(escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>"))


def search(query: str, user: User, limit: int = DEFAULT_LIMIT) -> list[Hit]:
    """Ranked hits for `query` among what `user` may see; QueryError for an unusable query."""
    text = clean_query(query)
    if connection.vendor == "postgresql":
        return _postgres(text, user, limit)
    return _sqlite(text, user, limit)


# --- PostgreSQL ---------------------------------------------------------------------------


def postgres_document() -> CombinedExpression:
    """The stored tsvector: title weighted A, body B."""
    return SearchVector("title", weight="A", config=PG_CONFIG) + SearchVector(
        "body", weight="B", config=PG_CONFIG
    )


def _postgres(text: str, user: User, limit: int) -> list[Hit]:
    # websearch_to_tsquery accepts any input ("quoted phrases", -exclusions, or) without
    # syntax errors; a query of stop words only matches nothing.
    query = SearchQuery(text, search_type="websearch", config=PG_CONFIG)
    rows = (
        SearchEntry.objects.filter(course__in=visible_courses(user).values("pk"), document=query)
        .annotate(
            rank=SearchRank(F("document"), query)
            * Case(
                *(When(kind=kind, then=Value(weight)) for kind, weight in KIND_WEIGHT.items()),
                default=Value(1.0),
                output_field=FloatField(),
            ),
            snippet=SearchHeadline(
                "body",
                query,
                config=PG_CONFIG,
                start_sel=START,
                stop_sel=STOP,
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "course_id", "order")
        .values_list("kind", "title", "context", "url", "snippet")[:limit]
    )
    return [Hit(kind, title, context, url, marked(snippet)) for kind, title, context, url, snippet in rows]


# --- SQLite FTS5 --------------------------------------------------------------------------


def fts5_query(text: str) -> str:
    """A MATCH expression that cannot be a syntax error: every word quoted, all required.

    "a phrase" in double quotes stays a phrase; everything else is split into words, so
    FTS5 operators (AND, NEAR(, *, -, ^, :) typed by a reader are searched as words or
    dropped, never parsed.
    """
    terms: list[str] = []
    for phrase, bare in TERM_RE.findall(text):
        words = WORD_RE.findall(phrase if phrase else bare)
        if phrase and len(words) > 1:
            terms.append('"' + " ".join(words) + '"')
        else:
            terms.extend(f'"{word}"' for word in words)
    return " ".join(terms)


def _sqlite(text: str, user: User, limit: int) -> list[Hit]:
    visible_sql, visible_params = visible_courses(user).values("pk").query.sql_with_params()
    sql = f"""
        SELECT e.kind, e.title, e.context, e.url,
               snippet(search_fts, 1, char(2), char(3), ' … ', 24)
        FROM search_fts
        JOIN search_searchentry e ON e.id = search_fts.rowid
        WHERE search_fts MATCH %s AND e.course_id IN ({visible_sql})
        ORDER BY bm25(search_fts, 10.0, 1.0) * {_kind_weight_sql("e.kind")}, e.course_id, e."order"
        LIMIT %s
    """
    params: list[Any] = [fts5_query(text), *visible_params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        Hit(kind, title, context, url, marked(snippet or "")) for kind, title, context, url, snippet in rows
    ]


__all__ = ["DEFAULT_LIMIT", "Hit", "QueryError", "search"]
