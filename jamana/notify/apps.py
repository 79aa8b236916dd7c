from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "jamana.notify"
    label = "notify"
