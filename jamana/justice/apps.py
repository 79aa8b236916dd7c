from django.apps import AppConfig


class JusticeConfig(AppConfig):
    name = "jamana.justice"
    label = "justice"
