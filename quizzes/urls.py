from django.urls import path

from . import views

app_name = "quizzes"
urlpatterns = [
    path("courses/<slug:course_slug>/quizzes/<slug:quiz_slug>/", views.quiz_detail, name="quiz"),
    path("courses/<slug:course_slug>/quizzes/<slug:quiz_slug>/score/", views.quiz_score, name="quiz_score"),
    path("courses/<slug:course_slug>/recall/<slug:plan_slug>/", views.recall_detail, name="recall"),
    path("courses/<slug:course_slug>/questions/<slug:question_slug>/reveal/", views.reveal, name="reveal"),
    path("courses/<slug:course_slug>/questions/<slug:question_slug>/answer/", views.answer, name="answer"),
    path("courses/<slug:course_slug>/questions/<slug:question_slug>/grade/", views.grade, name="grade"),
]
