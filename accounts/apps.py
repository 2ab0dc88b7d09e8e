from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Connects the failed-sign-in counter to django.contrib.auth's user_login_failed.
        from accounts import learner_cache, throttle  # noqa: F401

        # A new stamp for a learner whenever one of their rows is saved (accounts/learner_cache.py).
        learner_cache.connect()
