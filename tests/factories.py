"""factory_boy factories for the curriculum models."""

from __future__ import annotations

import factory
from django.contrib.auth.models import User

from courses.models import Concept, Course, Module
from lessons.models import ConceptIndexEntry, Depth, Lesson
from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class CourseFactory(factory.django.DjangoModelFactory[Course]):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A course for tests."


class ModuleFactory(factory.django.DjangoModelFactory[Module]):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Module {n}")
    order = factory.Sequence(lambda n: n)
    goal = "Learn the thing."


class LessonFactory(factory.django.DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    order = factory.Sequence(lambda n: n)
    body_md = "## First part\n\nSome text.\n\n### A detail\n\nMore text.\n"


class ConceptFactory(factory.django.DjangoModelFactory[Concept]):
    class Meta:
        model = Concept

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"concept-{n}")
    name = factory.Sequence(lambda n: f"Concept {n}")


class ConceptIndexEntryFactory(factory.django.DjangoModelFactory[ConceptIndexEntry]):
    class Meta:
        model = ConceptIndexEntry

    concept = factory.SubFactory(ConceptFactory)
    lesson = factory.SubFactory(LessonFactory)
    depth = Depth.INTRODUCED


class QuestionFactory(factory.django.DjangoModelFactory[Question]):
    class Meta:
        model = Question

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"question-{n}")
    kind = Question.Kind.FREE
    prompt_md = "What is the thing?"
    answer_md = "The model answer is ZEBRA-ANSWER."


class OptionFactory(factory.django.DjangoModelFactory[Option]):
    class Meta:
        model = Option

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.CHOICE)
    text = factory.Sequence(lambda n: f"Option {n}")
    order = factory.Sequence(lambda n: n)


class QuizFactory(factory.django.DjangoModelFactory[Quiz]):
    class Meta:
        model = Quiz

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")


class QuizItemFactory(factory.django.DjangoModelFactory[QuizItem]):
    class Meta:
        model = QuizItem

    quiz = factory.SubFactory(QuizFactory)
    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)


class RecallPlanFactory(factory.django.DjangoModelFactory[RecallPlan]):
    class Meta:
        model = RecallPlan

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"week-{n}")
    title = factory.Sequence(lambda n: f"Week {n}")


class RecallDayFactory(factory.django.DjangoModelFactory[RecallDay]):
    class Meta:
        model = RecallDay

    plan = factory.SubFactory(RecallPlanFactory)
    name = "Monday"
    order = factory.Sequence(lambda n: n)


class RecallPromptFactory(factory.django.DjangoModelFactory[RecallPrompt]):
    class Meta:
        model = RecallPrompt

    day = factory.SubFactory(RecallDayFactory)
    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)


# The two sizes query-count tests compare: a page's query count must be the same for both.
SMALL_COURSE = {"modules": 1, "lessons": 1, "concepts": 2, "checks_per_lesson": 2}
LARGE_COURSE = {"modules": 8, "lessons": 30, "concepts": 40, "checks_per_lesson": 4}
COURSE_SIZES = [SMALL_COURSE, LARGE_COURSE]


def build_course(
    *,
    modules: int = 1,
    lessons: int = 1,
    concepts: int = 2,
    checks_per_lesson: int = 1,
    published: bool = True,
) -> Course:
    """A whole rendered course of a chosen size, for pages whose query count must not depend on it.

    Lessons are spread over the modules in turn. Every lesson embeds `checks_per_lesson`
    checks (free recall and multiple choice alternating), each pointing back to §1. The
    first concept is taught in every lesson, at growing depth, and tagged on every
    question; the others are taught once each. One readiness quiz holds every question,
    and one recall week has a day per module with that module's questions.
    """
    # Imported here: the services pull in the renderer, which factories otherwise never need.
    from courses.services import course_render

    course = CourseFactory(is_published=published, description_md="What the course is about.")
    module_list = [
        ModuleFactory(course=course, order=i, record_md="1. A key mental model.") for i in range(modules)
    ]
    lesson_list: list[Lesson] = []
    questions: list[Question] = []
    for i in range(lessons):
        lesson = LessonFactory(
            module=module_list[i % modules], order=i, difficulty="Intermediate", kicker="PART"
        )
        body = ["## First part\n\nSome text.\n"]
        for c in range(checks_per_lesson):
            slug = f"{lesson.slug}-check-{c}"
            kind = Question.Kind.CHOICE if c % 2 else Question.Kind.FREE
            question = QuestionFactory(
                course=course,
                slug=slug,
                kind=kind,
                prompt_md=f"Prompt for {slug}?",
                answer_md="" if kind == Question.Kind.CHOICE else f"Answer for {slug}.",
                explanation_md=f"Explanation for {slug}.",
                lesson=lesson,
                section_ref="§1",
            )
            if kind == Question.Kind.CHOICE:
                OptionFactory(question=question, text=f"Right option for {slug}", is_correct=True, order=0)
                OptionFactory(question=question, text=f"Wrong option for {slug}", order=1)
                OptionFactory(question=question, text=f"Other option for {slug}", order=2)
            questions.append(question)
            body.append(f"{{{{check: {slug}}}}}\n")
        body.append('### A detail\n\n!!! pitfall "Careful"\n    Mind the gap.\n\nMore text.\n')
        lesson.body_md = "\n".join(body)
        lesson.save()
        lesson_list.append(lesson)
    concept_list = [ConceptFactory(course=course) for _ in range(concepts)]
    if concept_list and lesson_list:
        for i, lesson in enumerate(lesson_list):
            ConceptIndexEntryFactory(
                concept=concept_list[0],
                lesson=lesson,
                depth=min(Depth.APPLIED, Depth.MENTIONED + i),
                notes="Again.",
            )
        for i, concept in enumerate(concept_list[1:], start=1):
            ConceptIndexEntryFactory(concept=concept, lesson=lesson_list[i % len(lesson_list)], order=i)
        for question in questions:
            question.concepts.add(concept_list[0])
    quiz = QuizFactory(course=course, module=module_list[0], kind=Quiz.Kind.READINESS)
    for order, question in enumerate(questions):
        QuizItemFactory(quiz=quiz, question=question, order=order)
    plan = RecallPlanFactory(course=course, module=module_list[0])
    for d, module in enumerate(module_list):
        day = RecallDayFactory(plan=plan, name=f"Day {d + 1}", order=d, unlock_note=f"after {module.title}")
        module_lessons = [lesson for lesson in lesson_list if lesson.module_id == module.pk]
        day.unlock_lessons.set(module_lessons)
        module_questions = [q for q in questions if q.lesson_id in {lesson.pk for lesson in module_lessons}]
        for p, question in enumerate(module_questions):
            RecallPromptFactory(day=day, question=question, order=p)
    course_render(course=course)
    return course


# --- Learner records (mastery) -------------------------------------------------------------


class AttemptFactory(factory.django.DjangoModelFactory):
    """An attempt made directly, bypassing attempt_record: for building histories in read tests."""

    class Meta:
        model = "mastery.Attempt"

    learner = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    mode = "study"
    grade = 3
    is_correct = True
    revealed = True
    think_ms = 9000
    key = factory.Sequence(lambda n: f"attempt-key-{n}")


class ReviewCardFactory(factory.django.DjangoModelFactory):
    """A reviewed FSRS card: stability in days, last reviewed at `last_review`."""

    class Meta:
        model = "mastery.ReviewCard"

    learner = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    state = 2
    stability = 10.0
    difficulty = 5.0
    reps = 1


class ConceptMasteryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mastery.ConceptMastery"

    learner = factory.SubFactory(UserFactory)
    concept = factory.SubFactory(ConceptFactory)
    level = 2


class LessonReadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mastery.LessonRead"

    learner = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)


def check_token_for(user: User, question: Question, *, mode: str = "study", revealed: bool = False) -> str:
    """A signed check token as a page would issue it to `user` (revealed: as the reveal response does)."""
    from quizzes.forms import check_token_issue, check_token_read, now_ms

    raw = check_token_issue(learner_id=user.pk, question_id=question.pk, mode=mode)
    if not revealed:
        return raw
    return check_token_read(raw, learner_id=user.pk, question_id=question.pk).revealed_at(now_ms()).sign()


def enqueued(callbacks: list) -> list:
    """The on-commit callbacks but the learner stamps every write of a learner's row registers
    (accounts/learner_cache.py): what a test of the after-attempt enqueue counts."""
    from accounts.learner_cache import StampsOnCommit

    return [callback for callback in callbacks if not isinstance(callback, StampsOnCommit)]
