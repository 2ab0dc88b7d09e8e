from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class MasteryConfig(AppConfig):
    name = "mastery"
    verbose_name = "Learner progress and mastery"

    def ready(self) -> None:
        from mastery.models import CourseMemory
        from mastery.scheduling import course_model_forget

        post_save.connect(course_model_forget, sender=CourseMemory, dispatch_uid="course-memory-forget")
        post_delete.connect(
            course_model_forget, sender=CourseMemory, dispatch_uid="course-memory-forget-delete"
        )
