"""`make run` loads the demo only when it is absent; `make demo-reset` reloads it on purpose."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from pytest_django.fixtures import Settings

from courses.bundles import import_bundle
from courses.models import Course
from lessons.models import Lesson

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    """load_demo without the demo learners' history, which tests/courses/test_demo_history.py covers."""
    out = StringIO()
    call_command("load_demo", "--no-history", *args, stdout=out)
    return out.getvalue()


def test_the_slug_setting_is_the_bundles_course() -> None:
    assert import_bundle(settings.DEMO_BUNDLE_DIR).course.slug == settings.DEMO_COURSE_SLUG


def test_first_run_loads_course_and_accounts(settings: Settings) -> None:
    settings.DEBUG = True

    output = load()

    assert Course.objects.filter(slug=settings.DEMO_COURSE_SLUG).exists()
    assert "demo student: student / studyhall-student" in output
    assert User.objects.get(username="student").check_password("studyhall-student")


def test_a_second_run_keeps_admin_edits(settings: Settings) -> None:
    settings.DEBUG = True
    load()
    lesson = Lesson.objects.filter(module__course__slug=settings.DEMO_COURSE_SLUG).first()
    assert lesson is not None
    Lesson.objects.filter(pk=lesson.pk).update(title="Renamed in the admin")
    student = User.objects.get(username="student")
    student.set_password("changed-by-the-instructor")
    student.save()

    output = load()

    assert "already loaded; left as it is (make demo-reset reloads it)" in output
    assert "demo student: student exists, left as it is" in output
    assert Lesson.objects.get(pk=lesson.pk).title == "Renamed in the admin"
    assert User.objects.get(username="student").check_password("changed-by-the-instructor")


def test_reset_reloads_on_purpose(settings: Settings) -> None:
    settings.DEBUG = True
    load()
    lesson = Lesson.objects.filter(module__course__slug=settings.DEMO_COURSE_SLUG).first()
    assert lesson is not None
    original = lesson.title
    Lesson.objects.filter(pk=lesson.pk).update(title="Renamed in the admin")
    User.objects.filter(username="instructor").update(is_staff=False)

    load("--reset")

    assert Lesson.objects.get(pk=lesson.pk).title == original
    assert User.objects.get(username="instructor").is_staff
    assert User.objects.get(username="student").check_password("studyhall-student")


def test_makefile_targets() -> None:
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    demo = makefile[makefile.index("\ndemo: ") : makefile.index("\ndemo-reset: ")]
    reset = makefile[makefile.index("\ndemo-reset: ") :].split("\n\n")[0]
    assert "load_demo\n" in demo and "--reset" not in demo
    assert "load_demo --reset" in reset


def test_the_demo_student_is_in_a_demo_cohort_taught_by_the_demo_instructor(settings: Settings) -> None:
    from accounts import roles
    from courses.models import Enrollment

    settings.DEBUG = True
    output = load()
    load()  # a second run adds nothing

    course = Course.objects.get(slug=settings.DEMO_COURSE_SLUG)
    enrollment = Enrollment.objects.get(course=course)
    assert enrollment.learner.username == "student" and enrollment.cohort.name == "Demo cohort"
    assert "demo cohort: Demo cohort (invitation code DEMO2345)" in output
    instructor = User.objects.get(username="instructor")
    assert roles.course_role(instructor, course).role == roles.CourseRole.INSTRUCTOR
    assert roles.course_role(enrollment.learner, course).role == roles.CourseRole.LEARNER
