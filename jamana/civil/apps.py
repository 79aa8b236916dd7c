from django.apps import AppConfig


class CivilConfig(AppConfig):
    name = "jamana.civil"
    label = "civil"
