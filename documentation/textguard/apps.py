from django.apps import AppConfig


class TextguardConfig(AppConfig):
    name = "documentation.textguard"
    label = "textguard"
    default_auto_field = "django.db.models.BigAutoField"
