from django.contrib import admin
from django.urls import include, path

from config.views import healthz

admin.site.site_header = "Studyhall admin"
admin.site.site_title = "Studyhall admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("courses.urls")),
    path("", include("lessons.urls")),
    path("", include("quizzes.urls")),
]
