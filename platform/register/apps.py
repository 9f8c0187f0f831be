from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "register"
    verbose_name = "School register data (SS 12000)"
