from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.throttle import RESET, SIGNIN, throttled

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("profile/", views.profile, name="profile"),
    path("data/export.<str:fmt>", views.data_export, name="data_export"),
    path("delete/", views.account_delete_view, name="delete"),
    # Same path as django.contrib.auth's reset view, which config/urls.py includes after this file, so
    # this one answers: without django.contrib.sites the email would name the host instead of the site.
    path(
        "password_reset/",
        throttled(RESET, count_every_post=True)(
            auth_views.PasswordResetView.as_view(extra_email_context={"site_name": settings.SITE_NAME})
        ),
        name="password_reset",
    ),
    # Also shadows django.contrib.auth's own: the same view behind the sign-in throttle.
    path("login/", throttled(SIGNIN, count_every_post=False)(auth_views.LoginView.as_view()), name="login"),
]
