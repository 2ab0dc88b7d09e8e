"""factory_boy factories for the curriculum models."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from courses.models import Concept, Course, Module
from lessons.models import ConceptIndexEntry, Depth, Lesson
from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A course for tests."


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Module {n}")
    order = factory.Sequence(lambda n: n)
    goal = "Learn the thing."


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    order = factory.Sequence(lambda n: n)
    body_md = "## First part\n\nSome text.\n\n### A detail\n\nMore text.\n"


class ConceptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Concept

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"concept-{n}")
    name = factory.Sequence(lambda n: f"Concept {n}")


class ConceptIndexEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConceptIndexEntry

    concept = factory.SubFactory(ConceptFactory)
    lesson = factory.SubFactory(LessonFactory)
    depth = Depth.INTRODUCED


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"question-{n}")
    kind = Question.Kind.FREE
    prompt_md = "What is the thing?"
    answer_md = "The model answer is ZEBRA-ANSWER."


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.CHOICE)
    text = factory.Sequence(lambda n: f"Option {n}")
    order = factory.Sequence(lambda n: n)


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")


class QuizItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuizItem

    quiz = factory.SubFactory(QuizFactory)
    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)


class RecallPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecallPlan

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"week-{n}")
    title = factory.Sequence(lambda n: f"Week {n}")


class RecallDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecallDay

    plan = factory.SubFactory(RecallPlanFactory)
    name = "Monday"
    order = factory.Sequence(lambda n: n)


class RecallPromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecallPrompt

    day = factory.SubFactory(RecallDayFactory)
    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)
