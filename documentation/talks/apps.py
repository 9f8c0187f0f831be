from django.apps import AppConfig


class TalksConfig(AppConfig):
    name = "documentation.talks"
    label = "talks"
    default_auto_field = "django.db.models.BigAutoField"
