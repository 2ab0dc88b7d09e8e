"""Each malformed request the fuzz test found answering 500, pinned as its own case."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client
from django.urls import reverse

from config.wsgi import application
from courses.models import Course, Module
from mastery.models import Attempt
from quizzes.forms import TOKEN_SALT, TokenInvalid, check_token_read, now_ms
from quizzes.models import Question
from tests.factories import build_course

pytestmark = pytest.mark.django_db

TOO_MANY = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))


def wsgi_call(environ: dict[str, Any]) -> tuple[str, bytes]:
    """The production WSGI application itself (config/wsgi.py), not the test client's handler."""
    status: list[str] = []
    body = b"".join(application(environ, lambda s, headers, *a: status.append(s)))
    return status[0], body


def environ(path: str, query: str, content_type: str, body: bytes = b"") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
    }


def test_a_charset_with_too_many_query_fields_is_a_400_in_the_wsgi_app() -> None:
    # Django's own request class parses the query string while it is being built when the
    # Content-Type names a charset; too many fields there escaped every handler (a 500).
    status, body = wsgi_call(
        environ("/accounts/login/", TOO_MANY, "application/x-www-form-urlencoded; charset=utf-8")
    )
    assert status.startswith("400")
    assert b"more fields than any page here has" in body


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"])
def test_too_many_form_fields_is_a_400_with_a_message(client: Client, url: str) -> None:
    response = client.post(url, data=TOO_MANY, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "more fields than any page here has" in response.content.decode()


def test_too_many_fields_to_htmx_is_a_plain_text_message(student_client: Client) -> None:
    response = student_client.post(
        reverse("accounts:profile"),
        data=TOO_MANY,
        content_type="application/x-www-form-urlencoded",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "<html" not in response.content.decode()


def test_oversized_body_is_a_400(client: Client) -> None:
    body = "a=" + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.post("/accounts/login/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "larger than any form here accepts" in response.content.decode()


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/admin/courses/module/add/", "course=abc&x="),
        ("/admin/lessons/lesson/add/", "module=%ff"),
        ("/admin/quizzes/question/add/", "course=1&concepts=1,abc"),
    ],
)
def test_admin_add_page_with_a_malformed_initial_key_is_a_400(
    instructor_client: Client, path: str, query: str
) -> None:
    response = instructor_client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert "is not a valid" in response.content.decode()


def test_admin_add_page_with_a_good_initial_key_still_preselects(instructor_client: Client) -> None:
    course = build_course()
    response = instructor_client.get(f"/admin/courses/module/add/?course={course.pk}")
    assert response.status_code == 200
    assert course.title in response.content.decode()


def test_admin_post_with_a_malformed_key_is_a_400_and_saves_nothing(instructor_client: Client) -> None:
    before = Module.objects.count()
    response = instructor_client.post(
        "/admin/courses/module/add/", {"course": "a" * 300, "title": "T", "slug": "t", "order": "1"}
    )
    assert response.status_code == 400
    assert Module.objects.count() == before


def test_signup_next_as_a_view_name_for_a_signed_in_user_redirects(student_client: Client) -> None:
    response = student_client.get("/accounts/signup/?next=dashboard")
    assert response.status_code == 302
    # `dashboard` is a relative URL, never a view name to reverse.
    assert response["Location"] == "dashboard"


def test_signup_next_to_another_host_goes_to_the_dashboard(student_client: Client) -> None:
    response = student_client.get("/accounts/signup/?next=//evil.example/")
    assert response["Location"] == reverse("mastery:dashboard")


def _forged(student: User, question: Question, **changes: int) -> str:
    payload: dict[str, Any] = {"q": question.pk, "u": student.pk, "m": "study", "t": now_ms(), "n": "n"}
    payload.update(changes)
    return signing.dumps(payload, salt=TOKEN_SALT, compress=False)


@pytest.mark.parametrize(
    "changes",
    [
        {"t": -(2**40)},
        {"t": 10**30},
        {"r": 2**63},
        {"t": 0},
        {"q": 2**70},
        {"u": -5},
    ],
)
def test_token_with_timings_or_ids_no_page_issued_is_refused(student: User, changes: dict[str, int]) -> None:
    question = build_course().questions.order_by("pk").first()
    with pytest.raises(TokenInvalid):
        check_token_read(_forged(student, question, **changes), learner_id=student.pk, question_id=None)


def test_grade_with_a_huge_timing_token_is_a_400_and_records_nothing(student: User) -> None:
    course: Course = build_course()
    question = course.questions.filter(kind=Question.Kind.FREE).first()
    client = Client()
    client.force_login(student)
    url = reverse("quizzes:grade", args=[course.slug, question.slug])
    token = _forged(student, question, t=now_ms() - 2**40, r=now_ms())
    response = client.post(url, {"grade": "3", "token": token})
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not Attempt.objects.exists()


def test_a_token_as_pages_issue_it_is_still_accepted(student: User) -> None:
    question = build_course().questions.order_by("pk").first()
    now = now_ms()
    token = check_token_read(
        _forged(student, question, t=now - 5_000, r=now), learner_id=student.pk, question_id=question.pk
    )
    assert token.revealed_ms is not None
