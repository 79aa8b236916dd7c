from django.apps import AppConfig


class UssdConfig(AppConfig):
    name = "jamana.ussd"
    label = "ussd"
