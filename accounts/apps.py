from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Connects the failed-sign-in counter to django.contrib.auth's user_login_failed.
        from accounts import throttle  # noqa: F401
