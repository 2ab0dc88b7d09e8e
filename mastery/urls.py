from django.urls import path

from mastery.views import cheat_sheet, cohort, dashboard, review

app_name = "mastery"
urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("review/", review.review, name="review"),
    path("review/answer/", review.review_answer, name="review_answer"),
    path(
        "courses/<slug:course_slug>/modules/<slug:module_slug>/<slug:lesson_slug>/read/",
        review.lesson_read,
        name="lesson_read",
    ),
    path(
        "courses/<slug:course_slug>/recall/<slug:plan_slug>/start/", review.recall_start, name="recall_start"
    ),
    path("courses/<slug:course_slug>/cohort/", cohort.cohort, name="cohort"),
    path(
        "courses/<slug:course_slug>/cohort/learners/<int:learner_id>/", cohort.learner, name="cohort_learner"
    ),
    path("courses/<slug:course_slug>/cohort/<slug:table>.csv", cohort.export, name="cohort_export"),
    path(
        "courses/<slug:course_slug>/modules/<slug:module_slug>/cheat-sheet/",
        cheat_sheet.module_cheat_sheet,
        name="cheat_sheet",
    ),
    path(
        "courses/<slug:course_slug>/cheat-sheet/", cheat_sheet.course_cheat_sheet, name="course_cheat_sheet"
    ),
    path(
        "courses/<slug:course_slug>/cheat-sheet/print.css",
        cheat_sheet.print_css,
        name="cheat_sheet_print_css",
    ),
]
