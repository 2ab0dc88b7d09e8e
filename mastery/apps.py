from django.apps import AppConfig


class MasteryConfig(AppConfig):
    name = "mastery"
    verbose_name = "Learner progress and mastery"
