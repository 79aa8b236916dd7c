from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "jamana.identity"
    label = "identity"
