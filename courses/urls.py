from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course"),
    path("courses/<slug:course_slug>/modules/<slug:module_slug>/", views.module_detail, name="module"),
    path("courses/<slug:course_slug>/concepts/<slug:concept_slug>/", views.concept_detail, name="concept"),
]
