from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from courses import content_cache

        # Every save or delete of course content bumps the course's content version.
        content_cache.connect()
