from django.contrib import admin
from django.urls import include, path

from config.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("mastery.urls")),
    path("", include("courses.urls")),
    path("", include("lessons.urls")),
    path("", include("quizzes.urls")),
    path("", include("search.urls")),
]
