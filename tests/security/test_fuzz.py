"""Malformed requests to every route: each gets an answer below 500.

The generator is ours, seeded and bounded: it walks the URL resolver for every named
route (admin included), fills each path parameter with a real object's slug or id or
with junk, and sends the request anonymously, as a learner and as an instructor with
the admin, with one mutation from the list below: bodies that are not UTF-8, declare an
unknown charset, carry too many fields, are too large or are broken multipart; forged,
replayed, truncated and overflowing check tokens; odd query strings (`?course=abc&x=`,
`next=` as a view name or another host); junk HTMX headers; and every HTTP method.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from config.middleware import StudyhallWSGIRequest
from courses.models import Course
from lessons.models import Lesson
from quizzes.forms import TOKEN_SALT, now_ms
from quizzes.models import Question
from tests.factories import build_course, check_token_for

pytestmark = pytest.mark.django_db

SEED = 20261202
REQUESTS = 3000
METHODS = ("GET", "GET", "GET", "POST", "POST", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS")
JUNK_TEXT = (
    "",
    "abc",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "\x00",
    "é" * 300,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%ff%fe",
    "a" * 5000,
    "../../etc/passwd",
    "null",
    "[]",
)


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]


def walk(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, inner)
        elif entry.name:
            regex = entry.pattern.regex
            yield Route(f"{namespace}{entry.name}", tuple(regex.groupindex))


def value_pools(course: Course) -> dict[str, list[str]]:
    lesson = Lesson.objects.select_related("module").filter(module__course=course).first()
    assert lesson is not None
    question = Question.objects.filter(course=course).order_by("pk").first()
    assert question is not None
    ids = [str(question.pk), str(lesson.pk), str(course.pk), "1", "abc", "0", "99999999", "%20"]
    return {
        "course_slug": [course.slug, "no-such-course", "a" * 80],
        "module_slug": [lesson.module.slug, "no-such-module"],
        "lesson_slug": [lesson.slug, "nope"],
        "concept_slug": [course.concepts.order_by("pk").first().slug, "nope"],
        "question_slug": [question.slug, "missing"],
        "quiz_slug": [course.quizzes.first().slug, "nope"],
        "plan_slug": [course.recall_plans.first().slug, "nope"],
        "object_id": ids,
        "content_type_id": ["1", "7", "999", "x"],
        "app_label": ["courses", "lessons", "quizzes", "mastery", "accounts", "auth"],
        "uidb64": ["MQ", "!!", "zz"],
        "token": ["set-password", "abc-def", "x" * 40],
        "url": ["x", "../", "a/b"],
        "path": ["x", "admin", ""],
    }


def concrete_urls(routes: list[Route], pools: dict[str, list[str]], rng: random.Random) -> list[str]:
    """Every route reversed with several choices of its parameters (a route with none, once)."""
    urls: list[str] = []
    for route in routes:
        tries = 6 if route.kwargs else 1
        seen: set[str] = set()
        for _ in range(tries):
            kwargs = {name: rng.choice(pools.get(name, ["x", "1"])) for name in route.kwargs}
            try:
                url = reverse(route.name, kwargs=kwargs)
            except NoReverseMatch:
                continue
            if url not in seen:
                seen.add(url)
                urls.append(url)
    return urls


def forged_token(rng: random.Random, learner: User, question: Question) -> str:
    """A token signed with the real key but with timings or ids no page ever issued."""
    big = rng.choice([2**31, 2**63, 10**30, -(2**40), now_ms() * 1000])
    payload = {"q": question.pk, "u": learner.pk, "m": "study", "t": now_ms(), "n": "x"}
    payload[rng.choice(["t", "r", "q", "u"])] = big
    if rng.random() < 0.3:
        payload["m"] = rng.choice(["exam", "", "study" * 100])
    return signing.dumps(payload, salt=TOKEN_SALT, compress=False)


def query_string(rng: random.Random) -> str:
    return rng.choice(
        [
            "",
            "?course=abc&x=",
            "?module=abc&lesson=%ff",
            "?next=dashboard",
            "?next=//evil.example/",
            "?next=javascript:alert(1)",
            "?q=%00&o=-9&p=abc",
            "?e=1&all=&_changelist_filters=%zz",
            "?" + "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5)),
            "?page=999999999999&o=1.2.3",
            "?concepts=1,abc,,2",
            "?" + "%" * 50,
        ]
    )


@dataclass
class Sent:
    method: str
    body: bytes | str
    content_type: str
    headers: dict[str, str]
    label: str


def mutation(rng: random.Random, tokens: Callable[[], list[str]]) -> Sent:
    form = "application/x-www-form-urlencoded"
    choice = rng.randrange(12)
    fields: dict[str, str] = {
        name: rng.choice(JUNK_TEXT)
        for name in rng.sample(
            [
                "username",
                "password",
                "password1",
                "password2",
                "email",
                "grade",
                "option",
                "token",
                "next",
                "time_zone",
                "daily_cap",
                "new_password1",
                "old_password",
                "title",
                "course",
                "format",
            ],
            k=rng.randint(1, 6),
        )
    }
    headers: dict[str, str] = {}
    if rng.random() < 0.4:
        headers["HX-Request"] = rng.choice(["true", "false", "1", "\x7f", ""])
        headers["HX-Target"] = rng.choice(["check-1", "", "x" * 500])
        headers["HX-Current-URL"] = rng.choice(["http://evil.example/", "::::", ""])
        headers["HX-Trigger"] = rng.choice(["", "<b>", "1"])
    if choice == 0:
        return Sent(
            "POST",
            b"username=\xff\xfe\xfd&password=%ff%fe&" + bytes(range(128, 256)),
            form,
            headers,
            "non-utf8",
        )
    if choice == 1:
        body = "&".join(f"f{i}=v" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10))
        return Sent("POST", body, form, headers, "too-many-fields")
    if choice == 2 and rng.random() < 0.15:
        body = "a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)
        return Sent("POST", body, form, headers, "oversized")
    if choice == 3:
        charset = rng.choice(["bogus", "utf-16", "utf-32", "latin-1", "x" * 200])
        return Sent(
            "POST", "grade=good&option=1".encode("utf-16"), f"{form}; charset={charset}", headers, "charset"
        )
    if choice == 4:
        boundary = rng.choice(["", "x", "-" * 80])
        body = rng.choice(
            [
                b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb',
                b"garbage",
                b'--x\r\nContent-Disposition: form-data; name="\xff"\r\n\r\n\xff\r\n--x--\r\n',
            ]
        )
        return Sent("POST", body, f"multipart/form-data; boundary={boundary}", headers, "multipart")
    if choice == 5:
        return Sent("POST", json.dumps(fields), "application/json", headers, "json")
    if choice in (6, 7):
        fields["token"] = rng.choice(tokens())
        fields["grade"] = rng.choice(["good", "again", "bad"])
        return Sent("POST", "&".join(f"{k}={v}" for k, v in fields.items()), form, headers, "token")
    if choice == 8:
        return Sent(
            "POST", bytes(rng.randrange(256) for _ in range(rng.randint(0, 400))), form, headers, "bytes"
        )
    from urllib.parse import urlencode

    return Sent(rng.choice(METHODS), urlencode(fields), form, headers, "form")


def send(client: Client, url: str, sent: Sent) -> int:
    if sent.method in ("GET", "HEAD", "OPTIONS"):
        response = client.generic(sent.method, url, headers=sent.headers)
    else:
        # generic() sends the bytes as they are; post() would re-encode them to the declared charset.
        body = sent.body.encode() if isinstance(sent.body, str) else sent.body
        response = client.generic(
            sent.method, url, data=body, content_type=sent.content_type, headers=sent.headers
        )
    return response.status_code


def test_no_route_answers_5xx_to_malformed_input(
    student: User, instructor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test client builds plain WSGIRequests; production (config/wsgi.py) builds ours.
    monkeypatch.setattr("django.test.client.WSGIRequest", StudyhallWSGIRequest)
    rng = random.Random(SEED)
    course = build_course(modules=2, lessons=2, checks_per_lesson=2)
    question = Question.objects.filter(course=course).order_by("pk").first()
    assert question is not None
    routes = list(walk(get_resolver().url_patterns))
    names = {route.name for route in routes}
    # The walk must really reach the learner, check and admin routes, or the test proves nothing.
    assert {"quizzes:grade", "accounts:signup", "admin:courses_course_add", "mastery:review_answer"} <= names
    urls = concrete_urls(routes, value_pools(course), rng)
    replayed = check_token_for(student, question)

    def tokens() -> list[str]:
        return [
            replayed,
            check_token_for(student, question),
            check_token_for(instructor, question),
            forged_token(rng, student, question),
            replayed[: len(replayed) // 2],
            "x" * 3000,
            "",
        ]

    def persona_client(user: User | None) -> Client:
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        return client

    personas: list[User | None] = [None, student, instructor]
    clients = [persona_client(user) for user in personas]
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for n in range(REQUESTS):
        url = rng.choice(urls) + query_string(rng) if rng.random() < 0.5 else rng.choice(urls)
        sent = mutation(rng, tokens)
        if url.startswith("/admin/") and url.endswith("/delete/") and sent.method == "POST":
            # The admin deletes on any POST to its confirmation page (a legitimate request, not a
            # malformed one); letting it delete the course would leave the rest of the run 404s.
            sent.method = "GET"
        who = rng.randrange(len(personas))
        # Signing out or changing a password ends the session: such a request gets a client of its own.
        client = persona_client(personas[who]) if "logout" in url or "password" in url else clients[who]
        status = send(client, url, sent)
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            failures.append(
                f"#{n} {sent.method} {url[:120]} as {personas[who] or 'anonymous'}: {sent.label} -> {status}"
            )
    print(
        f"{REQUESTS} requests to {len(urls)} URLs of {len(routes)} routes;",
        f"statuses {sorted(statuses.items())}",
    )
    assert not failures, "\n".join(failures[:40])
    # Malformed input must be refused, not silently accepted: the run saw plenty of 4xx.
    assert sum(count for status, count in statuses.items() if 400 <= status < 500) > REQUESTS // 4
