from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "jamana.procedures"
    label = "procedures"
