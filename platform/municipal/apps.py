from django.apps import AppConfig


class MunicipalConfig(AppConfig):
    name = "municipal"
    verbose_name = "Municipality settings"
