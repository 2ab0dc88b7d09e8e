"""Admin for questions (with their options), quizzes and recall plans."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from courses.authoring import (
    AuthoringAdmin,
    AuthoringInline,
    LooseOrderedFormSet,
    OrderedForm,
    OrderedFormSet,
)
from quizzes import services as quiz_services
from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt


class OptionFormSet(OrderedFormSet):
    park_values = {"is_correct": False}

    def save_sort_key(self, row: Any) -> int:
        # Unmarked options first, so the new correct one never meets the old one.
        return 1 if row.is_correct else 0

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.non_form_errors():
            return
        options = [
            Option(
                text=form.cleaned_data.get("text", ""), is_correct=bool(form.cleaned_data.get("is_correct"))
            )
            for form in self.kept_forms()
        ]
        # The prompt has its own required-field error on the question form.
        problems = [
            problem
            for problem in quiz_services.question_validate(question=self.instance, options=options)
            if problem != "The prompt is empty."
        ]
        if problems:
            raise forms.ValidationError(problems)


class OptionInline(AuthoringInline):
    model = Option
    form = OrderedForm
    formset = OptionFormSet
    fields = ["order", "text", "is_correct"]
    ordering = ["order", "id"]
    extra = 0

    def get_extra(self, request: HttpRequest, obj: Question | None = None, **kwargs: Any) -> int:
        return 2 if obj is None else 0


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "course",
            "slug",
            "kind",
            "prompt_md",
            "answer_md",
            "key_points",
            "explanation_md",
            "shuffle_options",
            "concepts",
            "depth",
            "lesson",
            "section_ref",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        course = cleaned.get("course")
        if course is None:
            return cleaned
        lesson = cleaned.get("lesson")
        if lesson is not None and lesson.module.course_id != course.pk:
            self.add_error("lesson", "The lesson belongs to another course.")
        foreign = [c.name for c in cleaned.get("concepts") or [] if c.course_id != course.pk]
        if foreign:
            self.add_error("concepts", f"These concepts belong to another course: {', '.join(foreign)}.")
        return cleaned


@admin.register(Question)
class QuestionAdmin(AuthoringAdmin):
    form = QuestionForm
    list_display = ["slug", "short_prompt", "course", "kind", "depth", "lesson", "section_ref"]
    list_select_related = ["course", "lesson"]
    list_filter = ["kind", "course", "depth"]
    search_fields = ["slug", "prompt_md"]
    ordering = ["course__order", "course__title", "slug"]
    autocomplete_fields = ["course", "lesson", "concepts"]
    inlines = [OptionInline]
    fieldsets = [
        (None, {"fields": ["course", "slug", "kind", "prompt_md"]}),
        ("Answer", {"fields": ["answer_md", "key_points", "explanation_md", "shuffle_options"]}),
        ("Curriculum", {"fields": ["concepts", "depth", "lesson", "section_ref"]}),
    ]

    @admin.display(description="prompt", ordering="prompt_md")
    def short_prompt(self, obj: Question) -> str:
        return Truncator(obj.prompt_md).chars(80)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        quiz_services.question_render(question=form.instance)


def course_id_of(parent: Quiz | RecallDay) -> int | None:
    if isinstance(parent, Quiz):
        return parent.course_id
    return parent.plan.course_id if parent.plan_id is not None else None


class QuestionOfSameCourseFormSet(forms.BaseInlineFormSet):
    """Questions picked by autocomplete may come from any course; only the parent's course is allowed."""

    def clean(self) -> None:
        super().clean()
        course_id = course_id_of(self.instance)
        if course_id is None:
            return  # the parent form reports the missing course or plan
        for form in self.forms:
            question = form.cleaned_data.get("question") if form.cleaned_data else None
            if question is not None and question.course_id != course_id:
                form.add_error("question", "This question belongs to another course.")


class PromptFormSet(OrderedFormSet, QuestionOfSameCourseFormSet):
    pass


class QuizItemFormSet(LooseOrderedFormSet, QuestionOfSameCourseFormSet):
    pass


class QuizItemInline(AuthoringInline):
    model = QuizItem
    form = OrderedForm
    formset = QuizItemFormSet
    fields = ["order", "question"]
    autocomplete_fields = ["question"]
    ordering = ["order", "id"]
    extra = 0


@admin.register(Quiz)
class QuizAdmin(AuthoringAdmin):
    list_display = ["title", "slug", "course", "kind", "module", "lesson", "question_count"]
    list_select_related = ["course", "module", "lesson"]
    list_filter = ["kind", "course"]
    search_fields = ["title", "slug", "intro_md"]
    ordering = ["course__order", "course__title", "title"]
    autocomplete_fields = ["course", "module", "lesson"]
    inlines = [QuizItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Quiz]:
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="questions", ordering="item_count")
    def question_count(self, obj: Quiz) -> int:
        return getattr(obj, "item_count", 0)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        quiz_services.quiz_render(quiz=form.instance)


class RecallDayInline(AuthoringInline):
    model = RecallDay
    form = OrderedForm
    formset = OrderedFormSet
    fields = ["order", "name", "unlock_note", "prompts_link"]
    readonly_fields = ["prompts_link"]
    ordering = ["order", "id"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecallDay]:
        return super().get_queryset(request).annotate(prompt_count=Count("prompts"))

    @admin.display(description="prompts")
    def prompts_link(self, obj: RecallDay) -> str:
        if obj.pk is None:
            return "Save the plan, then add prompts to the day."
        url = reverse("admin:quizzes_recallday_change", args=[obj.pk])
        count = getattr(obj, "prompt_count", None)
        label = "Edit prompts" if count is None else f"Edit {count} prompt{'s' if count != 1 else ''}"
        return format_html('<a href="{}">{}</a>', url, label)


@admin.register(RecallPlan)
class RecallPlanAdmin(AuthoringAdmin):
    list_display = ["title", "slug", "course", "module", "order", "day_count"]
    list_select_related = ["course", "module"]
    list_filter = ["course"]
    search_fields = ["title", "slug", "intro_md"]
    ordering = ["course__order", "course__title", "order", "id"]
    autocomplete_fields = ["course", "module"]
    inlines = [RecallDayInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecallPlan]:
        return super().get_queryset(request).annotate(days_count=Count("days"))

    @admin.display(description="days", ordering="days_count")
    def day_count(self, obj: RecallPlan) -> int:
        return getattr(obj, "days_count", 0)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        quiz_services.recall_plan_render(plan=form.instance)


class RecallPromptInline(AuthoringInline):
    model = RecallPrompt
    form = OrderedForm
    formset = PromptFormSet
    fields = ["order", "question"]
    autocomplete_fields = ["question"]
    ordering = ["order", "id"]
    extra = 0


@admin.register(RecallDay)
class RecallDayAdmin(AuthoringAdmin):
    """Days get their own page because Django has no nested inlines (plan → day → prompts)."""

    list_display = ["__str__", "plan", "name", "order", "unlock_note"]
    list_select_related = ["plan"]
    list_filter = ["plan__course", "plan"]
    search_fields = ["name", "unlock_note", "plan__title", "plan__slug"]
    ordering = ["plan__course__order", "plan__order", "plan__id", "order"]
    autocomplete_fields = ["plan", "unlock_lessons"]
    inlines = [RecallPromptInline]

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        quiz_services.recall_plan_render(plan=form.instance.plan)
