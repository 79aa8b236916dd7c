from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "jamana.calls"
    label = "calls"
