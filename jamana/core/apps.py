from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jamana.core"
    label = "core"
    verbose_name = "Core"
