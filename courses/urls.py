from django.urls import path

from . import member_views, views

app_name = "courses"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course"),
    path("courses/<slug:course_slug>/modules/<slug:module_slug>/", views.module_detail, name="module"),
    # Membership (courses/member_views.py).
    path("join/", member_views.join, name="join"),
    path("courses/<slug:course_slug>/enrol/", member_views.enrol, name="enrol"),
    path("courses/<slug:course_slug>/members/", member_views.members, name="members"),
    path("courses/<slug:course_slug>/concepts/<slug:concept_slug>/", views.concept_detail, name="concept"),
]
