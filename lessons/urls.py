from django.urls import path

from . import views

app_name = "lessons"
urlpatterns = [
    path(
        "courses/<slug:course_slug>/modules/<slug:module_slug>/<slug:lesson_slug>/",
        views.lesson_detail,
        name="lesson",
    ),
]
